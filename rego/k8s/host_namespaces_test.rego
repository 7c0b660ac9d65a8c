package dxguard.checks.k8s.host_namespaces_test

import data.dxguard.checks.k8s.host_namespaces
import data.lib.check
import data.lib.fixtures_test as fx

# The check's rows, as dxguard.main derives them from its subjects.
results := [check.row(host_namespaces.meta, s) | some s in host_namespaces.subjects]

test_pod_spec_without_host_namespaces_passes if {
	res := results with input as fx.input_of([fx.deployment("d", {"containers": [fx.good_container], "hostNetwork": false})])
	fx.statuses(res, "d") == {"pass"}
	fx.passed_paths(res) == {"spec.template.spec"}
}

test_each_shared_host_namespace_fails_at_its_field if {
	spec := {"containers": [fx.good_container], "hostNetwork": true, "hostPID": true, "hostIPC": true}
	res := results with input as fx.input_of([fx.pod("p", spec)])
	fx.statuses(res, "p") == {"fail"}
	fx.failed_paths(res) == {"spec.hostNetwork", "spec.hostPID", "spec.hostIPC"}
}

test_cronjob_host_network_fails if {
	res := results with input as fx.input_of([fx.cronjob("cj", {"containers": [fx.good_container], "hostNetwork": true})])
	fx.failed_paths(res) == {"spec.jobTemplate.spec.template.spec.hostNetwork"}
}
