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
#   remediation: Set resources.limits.cpu and resources.limits.memory on every container (and matching requests for Guaranteed QoS).
package dxguard.checks.k8s.resource_limits

import data.lib.check
import data.lib.k8s

meta := check.meta(rego.metadata.chain())

limited_fields := {"initContainers", "containers"}

# The indexes (in k8s.workload_containers) of the containers that set both a cpu and a memory
# limit (has_limit for both, read inline: this runs for every container), and the limits each
# of the others lacks: computed once for the fail and the pass rule.
limited := {i |
	some i, c in k8s.workload_containers
	cpu := c.container.resources.limits.cpu
	cpu != null
	cpu != ""
	memory := c.container.resources.limits.memory
	memory != null
	memory != ""
}

missing_limits := {i: missing |
	done := limited
	some i, c in k8s.workload_containers
	c.field in limited_fields
	not i in done
	missing := [r | some r in ["cpu", "memory"]; not has_limit(c.container, r)]
}

results contains check.fail(m, c.resource, path, msg) if {
	m := meta
	some i, missing in missing_limits
	c := k8s.workload_containers[i]
	path := concat(".", [c.path, "resources.limits"])
	msg := sprintf("%s has no %s limit; set resources.limits.%s", [c.label, concat(" or ", missing), concat(" and resources.limits.", missing)])
}

results contains check.pass(m, c.resource, concat(".", [c.path, "resources.limits"])) if {
	m := meta
	containers := k8s.workload_containers
	some i in limited
	c := containers[i]
	c.field in limited_fields
}

has_limit(container, r) if {
	v := container.resources.limits[r]
	v != null
	v != ""
}
