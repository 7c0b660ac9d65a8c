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
#   scope: object
#   remediation: Set securityContext.runAsNonRoot to true in the pod spec (or on each container) and runAsUser to a non-zero UID, with an image whose USER is non-root.
package dxguard.checks.k8s.run_as_non_root

import data.lib.check
import data.lib.k8s

meta := check.meta(rego.metadata.chain())

# Every container, examined once: at the setting that makes it (may) run as root when it does
# (runAsUser or runAsNonRoot), else at its runAsNonRoot setting.
subjects contains check.subject(c.resource, concat(".", [c.path, "securityContext", field]), msg) if {
	some c in k8s.workload_containers
	[field, msg] := verdict(c)
}

verdict(c) := [problem.field, sprintf("%s %s", [c.label, problem.message])] if {
	problem := k8s.root_problem(c)
} else := ["runAsNonRoot", ""]
