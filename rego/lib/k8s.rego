# METADATA
# title: Kubernetes helpers
# description: |
#   Where pod specs and containers live in every workload kind, computed once per query and
#   shared by all checks. No check re-implements these walks.
package lib.k8s

# Path (as keys) from a workload object to its pod spec, per kind.
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

# Container lists of a pod spec, in the order Kubernetes starts them.
container_fields := ["initContainers", "containers", "ephemeralContainers"]

# Kubernetes resources of the input.
resources contains res if {
	some res in input.resources
	res.family == "k8s"
}

# Every pod spec in the input: the resource id, the spec and its field path.
pod_specs contains {"resource": res.id, "spec": spec, "path": concat(".", keys)} if {
	some res in resources
	keys := pod_spec_keys[res.kind]
	spec := object.get(res.object, keys, null)
	is_object(spec)
}

# Every container (init, regular and ephemeral) of every pod spec.
containers contains {
	"resource": ps.resource,
	"container": c,
	"field": field,
	"path": sprintf("%s.%s[%d]", [ps.path, field, i]),
	"pod_spec": ps,
} if {
	some ps in pod_specs
	some field in container_fields
	some i, c in object.get(ps.spec, field, [])
	is_object(c)
}

# The name a message uses for a container: its kind of list and its name.
container_label(entry) := sprintf("%s %q", [kind_of[entry.field], object.get(entry.container, "name", "?")])

kind_of := {
	"initContainers": "init container",
	"containers": "container",
	"ephemeralContainers": "ephemeral container",
}

# Effective security-context value for a container: the container's own setting wins,
# otherwise the pod-level one is inherited; `fallback` when neither sets it.
effective_security(entry, key, fallback) := v if {
	v := entry.container.securityContext[key]
} else := v if {
	v := entry.pod_spec.spec.securityContext[key]
} else := fallback
