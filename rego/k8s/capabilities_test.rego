package dxguard.checks.k8s.capabilities_test

import data.dxguard.checks.k8s.capabilities
import data.lib.check
import data.lib.fixtures_test as fx

# The check's rows, as dxguard.main derives them from its subjects.
results := [check.row(capabilities.meta, s) | some s in capabilities.subjects]

with_caps(caps) := object.union(fx.good_container, {"securityContext": {"capabilities": caps}})

results_for(caps) := res if {
	res := results with input as fx.input_of([fx.pod("p", {"containers": [with_caps(caps)]})])
		with data.dxguard.config as fx.config
}

test_drop_all_passes if {
	fx.statuses(results_for({"drop": ["ALL"]}), "p") == {"pass"}
}

test_allowed_addition_in_any_spelling_passes if {
	fx.statuses(results_for({"drop": ["all"], "add": ["cap_net_bind_service"]}), "p") == {"pass"}
}

test_default_capabilities_fail if {
	fx.failed_paths(results_for({})) == {"spec.containers[0].securityContext.capabilities.drop"}
}

test_dangerous_addition_fails_at_the_entry if {
	res := results_for({"drop": ["ALL"], "add": ["NET_BIND_SERVICE", "SYS_ADMIN"]})
	fx.failed_paths(res) == {"spec.containers[0].securityContext.capabilities.add[1]"}
	some r in res
	contains(r.message, "SYS_ADMIN")
}

test_default_capabilities_and_a_dangerous_addition_fail_at_their_fields if {
	res := results_for({"add": ["SYS_ADMIN"]})
	fx.failed_paths(res) == {"spec.containers[0].securityContext.capabilities.drop", "spec.containers[0].securityContext.capabilities.add[0]"}
	fx.statuses(res, "p") == {"fail"}
}

test_passing_container_is_one_subject_at_its_capabilities if {
	res := results_for({"drop": ["ALL"]})
	fx.passed_paths(res) == {"spec.containers[0].securityContext.capabilities"}
	count(res) == 1
}
