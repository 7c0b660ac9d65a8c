# METADATA
# title: No privileged containers
# description: |
#   A privileged container has every capability and all host devices; it can escape its pod and
#   tamper with other workloads and with the node. Every container kind is examined: init,
#   regular and ephemeral.
#   Workloads in exempt namespaces (parameter exempt_namespaces) are not examined.
# scope: package
# custom:
#   id: DXG-K8S-ISO-001
#   family: isolation
#   severity: critical
#   targets:
#     k8s: [Pod, PodTemplate, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob]
#   parameters: [exempt_namespaces]
#   scope: object
#   remediation: Remove securityContext.privileged or set it to false; grant only the specific capability the container needs.
package dxguard.checks.k8s.privileged

import data.lib.check
import data.lib.k8s

meta := check.meta(rego.metadata.chain())

# Every container's privileged setting, examined once.
subjects contains check.subject(c.resource, concat(".", [c.path, "securityContext.privileged"]), problem(c)) if {
	some c in k8s.workload_containers
}

problem(c) := sprintf("%s runs privileged; set securityContext.privileged to false", [c.label]) if {
	c.container.securityContext.privileged == true
} else := msg if {
	msg := k8s.setting_problem(c.label, "securityContext.privileged", object.get(c.container, ["securityContext", "privileged"], null), "boolean")
} else := ""
