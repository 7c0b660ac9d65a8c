package dxguard.checks.k8s.privilege_escalation_test

import data.dxguard.checks.k8s.privilege_escalation
import data.lib.check
import data.lib.fixtures_test as fx

# The check's rows, as dxguard.main derives them from its subjects.
results := [check.row(privilege_escalation.meta, s) | some s in privilege_escalation.subjects]

test_escalation_disabled_passes if {
	res := results with input as fx.input_of([fx.deployment("d", {"containers": [fx.hardened_container]})])
	fx.statuses(res, "d") == {"pass"}
}

test_unset_fails_at_the_field if {
	res := results with input as fx.input_of([fx.deployment("d", {"containers": [fx.good_container]})])
	fx.failed_paths(res) == {"spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation"}
}

test_pod_level_value_is_not_inherited if {
	spec := {"securityContext": {"allowPrivilegeEscalation": false}, "containers": [fx.good_container]}
	res := results with input as fx.input_of([fx.pod("p", spec)])
	fx.statuses(res, "p") == {"fail"}
}

test_ephemeral_container_is_examined if {
	spec := {"containers": [fx.hardened_container], "ephemeralContainers": [{"name": "debug", "image": "busybox"}]}
	res := results with input as fx.input_of([fx.pod("p", spec)])
	fx.failed_paths(res) == {"spec.ephemeralContainers[0].securityContext.allowPrivilegeEscalation"}
	fx.passed_paths(res) == {"spec.containers[0].securityContext.allowPrivilegeEscalation"}
}
