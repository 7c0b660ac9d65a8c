# METADATA
# title: A seccomp profile confines system calls
# description: |
#   Without a seccomp profile a container may make every system call the kernel offers, which
#   widens the attack surface for container escapes. The effective profile (the container's,
#   else the one inherited from the pod securityContext) must be RuntimeDefault or Localhost;
#   Unconfined or none fails. Init, regular and ephemeral containers are examined; workloads in
#   exempt namespaces (parameter exempt_namespaces) are not.
# scope: package
# custom:
#   id: DXG-K8S-ISO-008
#   family: isolation
#   severity: medium
#   targets:
#     k8s: [Pod, PodTemplate, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob]
#   parameters: [exempt_namespaces]
#   scope: object
#   remediation: "Set securityContext.seccompProfile.type: RuntimeDefault in the pod spec (or Localhost with a reviewed profile); never Unconfined."
package dxguard.checks.k8s.seccomp

import data.lib.check
import data.lib.k8s

meta := check.meta(rego.metadata.chain())

confining := {"RuntimeDefault", "Localhost"}

# Every container's effective seccomp profile (the container's, else the pod's), examined once.
# A confined container passes at its own seccompProfile field. An unconfined one fails at the
# field its profile comes from; containers that all inherit the pod's unconfined profile share
# that field, so they are one subject there with all their problems.
subjects contains check.subject(c.resource, own_path(c), "") if {
	some c in k8s.workload_containers
	profile := k8s.effective_security(c, "seccompProfile", {})
	is_object(profile)
	object.get(profile, "type", "") in confining
}

subjects contains check.subject(key[0], key[1], check.problems(msgs)) if {
	some key, msgs in unconfined
}

own_path(c) := concat(".", [c.path, "securityContext.seccompProfile.type"])

# The problems of the unconfined containers, by [resource, field path].
failures := [[[c.resource, path], msg] |
	some c in k8s.workload_containers
	profile := k8s.effective_security(c, "seccompProfile", {})
	not confined(profile)
	path := concat(".", [k8s.effective_security_path(c, "seccompProfile"), "type"])
	msg := sprintf("%s runs %s; set securityContext.seccompProfile.type: RuntimeDefault on the pod or the container", [c.label, describe(profile)])
]

confined(profile) if {
	is_object(profile)
	object.get(profile, "type", "") in confining
}

unconfined := {key: msgs |
	found := failures
	some [key, _] in found
	msgs := [msg | some [k, msg] in found; k == key]
}

describe(profile) := sprintf("with seccompProfile set to %s, not a mapping (the API server rejects it, and it is not read as unset)", [k8s.describe(profile)]) if {
	not is_object(profile)
} else := "without a seccomp profile" if {
	object.get(profile, "type", "") == ""
} else := sprintf("with seccomp profile type %s, which does not confine system calls", [type_text(profile.type)])

type_text(t) := k8s.excerpt(t) if is_string(t)

else := k8s.describe(t)
