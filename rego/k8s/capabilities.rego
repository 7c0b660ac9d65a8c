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
#   scope: object
#   remediation: "Set securityContext.capabilities.drop: [ALL] and add back only capabilities on the allow-list (parameter allowed_capabilities)."
package dxguard.checks.k8s.capabilities

import data.lib.check
import data.lib.k8s

meta := check.meta(rego.metadata.chain())

allowed := {cap_name(n) | some n in k8s.params.allowed_capabilities}

# Every container, examined once: each of its capability problems at its own field (the drop
# list when it keeps the default capabilities, each added capability that is not on the
# allow-list), or, when it has none, its capabilities as one passing subject.
subjects contains check.subject(c.resource, path, msg) if {
	some c in k8s.workload_containers
	some [path, msg] in verdicts(c)
}

verdicts(c) := found if {
	found := problems(c)
	count(found) > 0
} else := [[concat(".", [c.path, "securityContext.capabilities"]), ""]]

problems(c) := type_problems(c) if {
	count(type_problems(c)) > 0
} else := array.concat(drop_problem(c), add_problems(c))

# A capabilities section, or add/drop list, of the wrong type is never read as "none added" or
# "none dropped": it is the container's problem at that field.
type_problems(c) := [[concat(".", [c.path, f.text]), msg] |
	some f in typed_fields
	v := object.get(c.container, f.keys, null)
	msg := k8s.setting_problem(c.label, f.text, v, f.type)
]

# The fields type_problems reads (constants: no query splits or joins them again).
typed_fields := [
	{"keys": ["securityContext", "capabilities"], "text": "securityContext.capabilities", "type": "object"},
	{"keys": ["securityContext", "capabilities", "add"], "text": "securityContext.capabilities.add", "type": "strings"},
	{"keys": ["securityContext", "capabilities", "drop"], "text": "securityContext.capabilities.drop", "type": "strings"},
]

drop_problem(c) := [] if {
	drops_all(c.container)
} else := [[
	concat(".", [c.path, "securityContext.capabilities.drop"]),
	sprintf("%s keeps the runtime's default capabilities; set securityContext.capabilities.drop: [ALL]", [c.label]),
]]

add_problems(c) := [[path, msg] |
	adds := object.get(c.container, ["securityContext", "capabilities", "add"], null)
	is_array(adds)
	some j, added in adds
	not cap_name(added) in allowed
	path := sprintf("%s.securityContext.capabilities.add[%d]", [c.path, j])
	msg := sprintf("%s adds capability %v, which is not on the allow-list (%s); remove it", [c.label, added, concat(", ", sort(allowed))])
]

drops_all(container) if {
	drop := object.get(container, ["securityContext", "capabilities", "drop"], null)
	is_array(drop)
	some d in drop
	cap_name(d) == "ALL"
}

# SYS_ADMIN, sys_admin and CAP_SYS_ADMIN name the same capability.
cap_name(n) := trim_prefix(upper(n), "CAP_") if is_string(n)

else := sprintf("%v", [n])
