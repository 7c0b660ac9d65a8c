# METADATA
# title: No Windows HostProcess containers
# description: |
#   A Windows HostProcess container runs directly on the node, outside any container
#   isolation, with the host's network and file system (Pod Security baseline: HostProcess).
#   windowsOptions.hostProcess must be unset or false on the pod securityContext and on every
#   container, init, regular and ephemeral. Workloads in exempt namespaces (parameter
#   exempt_namespaces) are not examined.
# scope: package
# custom:
#   id: DXG-K8S-ISO-020
#   family: isolation
#   severity: critical
#   targets:
#     k8s: [Pod, PodTemplate, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob]
#   parameters: [exempt_namespaces]
#   scope: object
#   remediation: Remove securityContext.windowsOptions.hostProcess (or set it to false) on the pod and on every container; run node-level Windows work outside the clinical cluster's workloads.
package dxguard.checks.k8s.windows_host_process

import data.lib.check
import data.lib.k8s

meta := check.meta(rego.metadata.chain())

# The pod-level setting of every examined pod spec, and every container's own, examined once.
subjects contains check.subject(ps.resource, concat(".", [ps.path, field]), problem("pod", field, ps.spec)) if {
	some ps in k8s.workload_pod_specs
	field := "securityContext.windowsOptions.hostProcess"
}

subjects contains check.subject(c.resource, concat(".", [c.path, field]), problem(c.label, field, c.container)) if {
	some c in k8s.workload_containers
	field := "securityContext.windowsOptions.hostProcess"
}

problem(who, field, owner) := msg if {
	msg := k8s.setting_problem(who, "securityContext.windowsOptions", object.get(owner, ["securityContext", "windowsOptions"], null), "object")
} else := msg if {
	msg := k8s.setting_problem(who, field, value(owner), "boolean")
} else := sprintf("%s runs as a Windows HostProcess container (%s: true), on the node outside container isolation; remove it", [who, field]) if {
	value(owner) == true
} else := ""

value(owner) := object.get(owner, ["securityContext", "windowsOptions", "hostProcess"], null)
