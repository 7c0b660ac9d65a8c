package dxguard.checks.k8s.windows_host_process_test

import data.dxguard.checks.k8s.windows_host_process as check_under_test
import data.lib.fixtures_test as fx

rows(inp) := r if {
	r := fx.rows(check_under_test.meta, check_under_test.subjects) with input as inp
}

host_process(c) := object.union(c, {"securityContext": {"windowsOptions": {"hostProcess": true}}})

test_unset_and_false_pass_at_the_pod_and_each_container if {
	spec := {"securityContext": {"windowsOptions": {"hostProcess": false}}, "containers": [fx.good_container], "initContainers": [object.union(fx.good_container, {"name": "init"})]}
	res := rows(fx.input_of([fx.pod("p", spec)]))
	fx.statuses(res, "p") == {"pass"}
	fx.passed_paths(res) == {"spec.securityContext.windowsOptions.hostProcess", "spec.containers[0].securityContext.windowsOptions.hostProcess", "spec.initContainers[0].securityContext.windowsOptions.hostProcess"}
}

test_host_process_fails_in_every_container_kind_and_at_the_pod if {
	spec := {
		"securityContext": {"windowsOptions": {"hostProcess": true}},
		"initContainers": [host_process(object.union(fx.good_container, {"name": "i"}))],
		"containers": [host_process(fx.good_container)],
		"ephemeralContainers": [host_process(object.union(fx.good_container, {"name": "e"}))],
	}
	fx.failed_paths(rows(fx.input_of([fx.deployment("d", spec)]))) == {
		"spec.template.spec.securityContext.windowsOptions.hostProcess",
		"spec.template.spec.initContainers[0].securityContext.windowsOptions.hostProcess",
		"spec.template.spec.containers[0].securityContext.windowsOptions.hostProcess",
		"spec.template.spec.ephemeralContainers[0].securityContext.windowsOptions.hostProcess",
	}
}

test_a_quoted_host_process_fails_with_its_type if {
	c := object.union(fx.good_container, {"securityContext": {"windowsOptions": {"hostProcess": "true"}}})
	res := rows(fx.input_of([fx.pod("p", {"containers": [c]})]))
	some r in res
	r.status == "fail"
	contains(r.message, `the string "true", not a boolean`)
}
