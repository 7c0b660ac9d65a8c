# METADATA
# title: Clinical containers get Guaranteed QoS
# description: |
#   A clinical container whose CPU and memory requests equal its limits gets the Guaranteed QoS
#   class: it is neither throttled below nor evicted for its neighbours, so the same input keeps
#   the same timing and result. Requests default to the limits when unset. Quantities are
#   compared by value (1 equals 1000m, 1Gi equals 1024Mi). Init and regular containers of
#   clinical pods are examined (ephemeral containers have no resources).
# scope: package
# custom:
#   id: DXG-K8S-ISO-018
#   family: isolation
#   severity: medium
#   targets:
#     k8s: [Pod, PodTemplate, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob]
#   remediation: Set resources.requests equal to resources.limits for cpu and memory on every clinical container (or set only limits, which requests then default to).
package dxguard.checks.k8s.guaranteed_qos

import data.lib.check
import data.lib.k8s

meta := check.meta(rego.metadata.chain())

# Init and regular containers of clinical workloads (an array, like k8s.clinical_containers:
# a set of containers would be sorted by deep comparison).
examined := [c | some c in k8s.clinical_containers; c.field in {"initContainers", "containers"}]

# The problems of each examined container, by its index in examined.
problems := [msgs |
	some c in examined
	msgs := {msg |
		some r in ["cpu", "memory"]
		problem := resource_problem(c.container, r)
		msg := sprintf("%s %s", [c.label, problem])
	}
]

resource_problem(container, r) := sprintf("has no %s limit; set resources.limits.%s (and an equal request)", [r, r]) if {
	not has_limit(container, r)
} else := sprintf("requests %v %s but is limited to %v, so it is not Guaranteed QoS; make the request equal the limit", [container.resources.requests[r], r, container.resources.limits[r]]) if {
	has(container.resources.requests, r)
	not same_quantity(container.resources.requests[r], container.resources.limits[r])
}

# True when resources.limits (a mapping) sets r to a value.
has_limit(container, r) if {
	v := container.resources.limits[r]
	v != null
	v != ""
}

has(m, r) if {
	v := k8s.obj(m)[r]
	v != null
	v != ""
}

same_quantity(a, b) if units.parse(sprintf("%v", [a])) == units.parse(sprintf("%v", [b]))

results contains check.fail(m, c.resource, concat(".", [c.path, "resources"]), msg) if {
	m := meta
	found := problems
	some i, c in examined
	some msg in found[i]
}

results contains check.pass(m, c.resource, concat(".", [c.path, "resources"])) if {
	m := meta
	found := problems
	some i, c in examined
	count(found[i]) == 0
}
