# METADATA
# title: Capabilities dropped, no dangerous additions
# description: |
#   A container starts with the runtime's default Linux capabilities (among them CHOWN,
#   DAC_OVERRIDE, NET_RAW, SETUID). It must drop ALL and add back only what the allow-list
#   permits (Pod Security restricted allows NET_BIND_SERVICE alone); SYS_ADMIN, NET_ADMIN,
#   SYS_PTRACE and the like break isolation. Names are compared without the CAP_ prefix and case.
#   Init, regular and ephemeral containers are examined; workloads in exempt namespaces
#   (parameter exempt_namespaces) are not.
# scope: package
# custom:
#   id: DXG-K8S-ISO-007
#   family: isolation
#   severity: high
#   targets:
#     k8s: [Pod, PodTemplate, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob]
#   parameters: [exempt_namespaces, allowed_capabilities]
#   remediation: "Set securityContext.capabilities.drop: [ALL] and add back only capabilities on the allow-list (parameter allowed_capabilities)."
package dxguard.checks.k8s.capabilities

import data.lib.check
import data.lib.k8s

meta := check.meta(rego.metadata.chain())

allowed := {cap_name(n) | some n in k8s.params.allowed_capabilities}

results contains check.fail(meta, c.resource, path, msg) if {
	some c in k8s.workload_containers
	not drops_all(c.container)
	path := concat(".", [c.path, "securityContext.capabilities.drop"])
	msg := sprintf("%s keeps the runtime's default capabilities; set securityContext.capabilities.drop: [ALL]", [c.label])
}

results contains check.fail(meta, c.resource, path, msg) if {
	some c in k8s.workload_containers
	some i, added in k8s.arr_at(c, ["container", "securityContext", "capabilities", "add"])
	not cap_name(added) in allowed
	path := sprintf("%s.securityContext.capabilities.add[%d]", [c.path, i])
	msg := sprintf("%s adds capability %v, which is not on the allow-list (%s); remove it", [c.label, added, concat(", ", sort(allowed))])
}

results contains check.pass(meta, c.resource, c.path) if {
	some c in k8s.workload_containers
	drops_all(c.container)
	every added in k8s.arr_at(c, ["container", "securityContext", "capabilities", "add"]) {
		cap_name(added) in allowed
	}
}

drops_all(container) if {
	some d in k8s.arr_at(container, ["securityContext", "capabilities", "drop"])
	cap_name(d) == "ALL"
}

# SYS_ADMIN, sys_admin and CAP_SYS_ADMIN name the same capability.
cap_name(n) := trim_prefix(upper(n), "CAP_") if is_string(n)

else := sprintf("%v", [n])
