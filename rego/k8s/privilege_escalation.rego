# METADATA
# title: Privilege escalation is disallowed
# description: |
#   allowPrivilegeEscalation lets a process gain more privileges than its parent (setuid
#   binaries, file capabilities). Kubernetes allows it unless the container sets it to false,
#   and a privileged container or one with CAP_SYS_ADMIN always has it. The setting exists only
#   per container (a pod-level value is not inherited). Init, regular and ephemeral containers
#   are examined; workloads in exempt namespaces (parameter exempt_namespaces) are not.
# scope: package
# custom:
#   id: DXG-K8S-ISO-006
#   family: isolation
#   severity: high
#   targets:
#     k8s: [Pod, PodTemplate, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob]
#   parameters: [exempt_namespaces]
#   scope: object
#   remediation: Set securityContext.allowPrivilegeEscalation to false on every container (and keep privileged false and CAP_SYS_ADMIN out).
package dxguard.checks.k8s.privilege_escalation

import data.lib.check
import data.lib.k8s

meta := check.meta(rego.metadata.chain())

# Every container's allowPrivilegeEscalation setting, examined once.
subjects contains check.subject(c.resource, concat(".", [c.path, "securityContext.allowPrivilegeEscalation"]), problem(c)) if {
	some c in k8s.workload_containers
}

problem(c) := "" if {
	c.container.securityContext.allowPrivilegeEscalation == false
} else := sprintf("%s may escalate privileges: allowPrivilegeEscalation is not false; set securityContext.allowPrivilegeEscalation: false", [c.label])
