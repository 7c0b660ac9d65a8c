# METADATA
# title: CPU and memory limits are set
# description: |
#   Without CPU and memory limits one workload can starve its neighbours on the node, so the
#   same input no longer gives the same timing or even the same result. Init and regular
#   containers are examined (ephemeral containers cannot set resources).
#   Workloads in exempt namespaces (parameter exempt_namespaces) are not examined.
# scope: package
# custom:
#   id: DXG-K8S-ISO-004
#   family: isolation
#   severity: medium
#   targets:
#     k8s: [Pod, PodTemplate, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob]
#   parameters: [exempt_namespaces]
#   scope: object
#   remediation: Set resources.limits.cpu and resources.limits.memory on every container (and matching requests for Guaranteed QoS).
package dxguard.checks.k8s.resource_limits

import data.lib.check
import data.lib.k8s

meta := check.meta(rego.metadata.chain())

limited_fields := {"initContainers", "containers"}

# Every init and regular container's limits, examined once.
subjects contains check.subject(c.resource, concat(".", [c.path, "resources.limits"]), problem(c)) if {
	some c in k8s.workload_containers
	c.field in limited_fields
}

problem(c) := "" if {
	has_limit(c.container, "cpu")
	has_limit(c.container, "memory")
} else := sprintf("%s has no %s limit; set resources.limits.%s", [c.label, concat(" or ", missing), concat(" and resources.limits.", missing)]) if {
	missing := [r | some r in ["cpu", "memory"]; not has_limit(c.container, r)]
}

# A limit is a quantity: a number or a non-empty string (a value of another type is rejected by
# the API server, and is no limit).
has_limit(container, r) if {
	v := container.resources.limits[r]
	is_number(v)
}

has_limit(container, r) if {
	v := container.resources.limits[r]
	is_string(v)
	v != ""
}
