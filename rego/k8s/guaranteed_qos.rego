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
#   scope: object
#   inventory: [Namespace]
#   remediation: Set resources.requests equal to resources.limits for cpu and memory on every clinical container (or set only limits, which requests then default to).
package dxguard.checks.k8s.guaranteed_qos

import data.lib.check
import data.lib.k8s

meta := check.meta(rego.metadata.chain())

# Every init and regular container of a clinical workload, examined once at its resources;
# a container with a problem for both cpu and memory has both in one message.
subjects contains check.subject(c.resource, concat(".", [c.path, "resources"]), problem(c)) if {
	some c in k8s.clinical_containers
	c.field in {"initContainers", "containers"}
}

problem(c) := check.problems([sprintf("%s %s", [c.label, p]) |
	some r in ["cpu", "memory"]
	p := resource_problem(c.container, r)
])

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
