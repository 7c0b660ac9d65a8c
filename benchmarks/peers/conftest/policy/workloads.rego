# The foundation checks of dxguard, written in conftest's own convention (package main, deny
# rules, one document per evaluation) for the side-by-side benchmark. Same conditions as
# rego/k8s/*.rego; conftest reports only denials, so no pass evidence is produced.
package main

import rego.v1

pod_spec_keys := {
	"Pod": ["spec"],
	"PodTemplate": ["template", "spec"],
	"Deployment": ["spec", "template", "spec"],
	"StatefulSet": ["spec", "template", "spec"],
	"DaemonSet": ["spec", "template", "spec"],
	"ReplicaSet": ["spec", "template", "spec"],
	"ReplicationController": ["spec", "template", "spec"],
	"Job": ["spec", "template", "spec"],
	"CronJob": ["spec", "jobTemplate", "spec", "template", "spec"],
}

pod_spec := object.get(input, pod_spec_keys[input.kind], null)

containers contains c if {
	some field in ["initContainers", "containers", "ephemeralContainers"]
	some c in object.get(pod_spec, field, [])
}

deny contains msg if {
	some c in containers
	c.securityContext.privileged == true
	msg := sprintf("%s/%s: container %q runs privileged", [input.kind, input.metadata.name, c.name])
}

deny contains msg if {
	some field in ["hostNetwork", "hostPID", "hostIPC"]
	pod_spec[field] == true
	msg := sprintf("%s/%s: pod shares the host namespace via %s", [input.kind, input.metadata.name, field])
}

effective(c, key, fallback) := v if {
	v := c.securityContext[key]
} else := v if {
	v := pod_spec.securityContext[key]
} else := fallback

deny contains msg if {
	some c in containers
	effective(c, "runAsUser", null) == 0
	msg := sprintf("%s/%s: container %q runs as UID 0", [input.kind, input.metadata.name, c.name])
}

deny contains msg if {
	some c in containers
	not effective(c, "runAsUser", null) == 0
	not effective(c, "runAsNonRoot", false) == true
	msg := sprintf("%s/%s: container %q may run as root", [input.kind, input.metadata.name, c.name])
}

deny contains msg if {
	some field in ["initContainers", "containers"]
	some c in object.get(pod_spec, field, [])
	some r in ["cpu", "memory"]
	not c.resources.limits[r]
	msg := sprintf("%s/%s: container %q has no %s limit", [input.kind, input.metadata.name, c.name, r])
}

deny contains msg if {
	some c in containers
	not regex.match(`@sha256:[a-f0-9]{64}$`, object.get(c, "image", ""))
	msg := sprintf("%s/%s: image %q is not pinned by digest", [input.kind, input.metadata.name, c.image])
}

deny contains msg if {
	some c in containers
	ref := object.get(c, "image", "")
	not contains(ref, "@")
	parts := split(ref, "/")
	last := parts[count(parts) - 1]
	not tagged(last)
	msg := sprintf("%s/%s: image %q has no tag or uses latest", [input.kind, input.metadata.name, ref])
}

tagged(last) if {
	contains(last, ":")
	lower(split(last, ":")[1]) != "latest"
}
