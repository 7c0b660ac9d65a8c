# METADATA
# title: Containers run as a non-root user
# description: |
#   Every container must be required to run as non-root: runAsNonRoot true, set on the
#   container or inherited from the pod securityContext, and no runAsUser 0 (which contradicts
#   runAsNonRoot and makes the kubelet refuse the container). Every container kind is examined.
#   Workloads in exempt namespaces (parameter exempt_namespaces) are not examined.
# scope: package
# custom:
#   id: DXG-K8S-ISO-003
#   family: isolation
#   severity: high
#   targets:
#     k8s: [Pod, PodTemplate, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob]
#   parameters: [exempt_namespaces]
#   remediation: Set securityContext.runAsNonRoot to true in the pod spec (or on each container) and runAsUser to a non-zero UID, with an image whose USER is non-root.
package dxguard.checks.k8s.run_as_non_root

import data.lib.check
import data.lib.k8s

meta := check.meta(rego.metadata.chain())

# The root problem of each examined container that has one, by its index in
# k8s.workload_containers: computed once for the fail and the pass rule.
problems := {i: p | some i, c in k8s.workload_containers; p := k8s.root_problem(c)}

results contains check.fail(m, c.resource, path, msg) if {
	m := meta
	some i, problem in problems
	c := k8s.workload_containers[i]
	path := concat(".", [c.path, "securityContext", problem.field])
	msg := sprintf("%s %s", [c.label, problem.message])
}

results contains check.pass(m, c.resource, c.path) if {
	m := meta
	found := problems
	some i, c in k8s.workload_containers
	not found[i]
}
