package dxguard.checks.k8s.guaranteed_qos_test

import data.dxguard.checks.k8s.guaranteed_qos
import data.lib.check
import data.lib.fixtures_test as fx

# The check's rows, as dxguard.main derives them from its subjects.
results := [check.row(guaranteed_qos.meta, s) | some s in guaranteed_qos.subjects]

with_resources(r) := object.union(object.remove(fx.good_container, ["resources"]), {"resources": r})

run(c) := res if {
	res := results with input as fx.input_of([fx.deployment("d", {"containers": [c]})]) with data.dxguard.config as fx.config
}

test_equal_requests_and_limits_pass if {
	fx.statuses(run(fx.good_container), "d") == {"pass"}
}

test_quantities_compare_by_value if {
	fx.statuses(run(with_resources({"requests": {"cpu": "1000m", "memory": "1024Mi"}, "limits": {"cpu": "1", "memory": "1Gi"}})), "d") == {"pass"}
}

test_limits_alone_default_the_requests if {
	fx.statuses(run(with_resources({"limits": {"cpu": "2", "memory": "2Gi"}})), "d") == {"pass"}
}

test_request_below_limit_fails if {
	res := run(with_resources({"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"cpu": "1", "memory": "1Gi"}}))
	fx.failed_paths(res) == {"spec.template.spec.containers[0].resources"}
	count(res) == 1
}

test_missing_limits_fail_as_one_subject_with_both_problems if {
	res := run(with_resources({"requests": {"cpu": "1"}}))
	[r] := res
	r.status == "fail"
	r.path == "spec.template.spec.containers[0].resources"
	contains(r.message, "has no cpu limit")
	contains(r.message, "has no memory limit")
}

test_research_containers_are_not_examined if {
	d := object.union(fx.deployment("d", {"containers": [with_resources({})]}), {"namespace": "research-ml"})
	count(results) == 0 with input as fx.input_of([d]) with data.dxguard.config as fx.config
}
