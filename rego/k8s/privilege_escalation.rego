# METADATA
# title: Privilege escalation is disallowed
# description: |
#   allowPrivilegeEscalation lets a process gain more privileges than its parent (setuid
#   binaries, file capabilities). Kubernetes allows it unless the container sets it to false.
#   This check fails every container whose securityContext does not set
#   allowPrivilegeEscalation to false; the setting exists only per container (a pod-level value
#   is not inherited). A privileged container or one that adds CAP_SYS_ADMIN escalates whatever
#   the setting says: DXG-K8S-ISO-001 and DXG-K8S-ISO-007 judge those, not this check. Init,
#   regular and ephemeral containers are examined; workloads in exempt namespaces (parameter
#   exempt_namespaces) are not.
# scope: package
# custom:
#   id: DXG-K8S-ISO-006
#   family: isolation
#   severity: high
#   targets:
#     k8s: [Pod, PodTemplate, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob]
#   parameters: [exempt_namespaces]
#   scope: object
#   remediation: Set securityContext.allowPrivilegeEscalation to false on every container.
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
} else := msg if {
	msg := k8s.setting_problem(c.label, "securityContext.allowPrivilegeEscalation", object.get(c.container, ["securityContext", "allowPrivilegeEscalation"], null), "boolean")
} else := sprintf("%s may escalate privileges: allowPrivilegeEscalation is not false; set securityContext.allowPrivilegeEscalation: false", [c.label])
