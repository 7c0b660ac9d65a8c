package dxguard.checks.k8s.run_as_non_root_test

import data.dxguard.checks.k8s.run_as_non_root
import data.lib.check
import data.lib.fixtures_test as fx

# The check's rows, as dxguard.main derives them from its subjects.
results := [check.row(run_as_non_root.meta, s) | some s in run_as_non_root.subjects]

test_non_root_container_passes if {
	res := results with input as fx.input_of([fx.deployment("d", {"containers": [fx.good_container]})])
	fx.statuses(res, "d") == {"pass"}
}

test_pod_level_run_as_non_root_is_inherited if {
	c := {"name": "app", "image": fx.pinned_image}
	spec := {"securityContext": {"runAsNonRoot": true}, "containers": [c]}
	res := results with input as fx.input_of([fx.pod("p", spec)])
	fx.statuses(res, "p") == {"pass"}
}

test_container_override_false_beats_pod_true if {
	c := {"name": "app", "image": fx.pinned_image, "securityContext": {"runAsNonRoot": false}}
	spec := {"securityContext": {"runAsNonRoot": true}, "containers": [c]}
	res := results with input as fx.input_of([fx.pod("p", spec)])
	fx.failed_paths(res) == {"spec.containers[0].securityContext.runAsNonRoot"}
}

test_missing_setting_fails if {
	c := {"name": "app", "image": fx.pinned_image}
	res := results with input as fx.input_of([fx.deployment("d", {"containers": [c]})])
	fx.failed_paths(res) == {"spec.template.spec.containers[0].securityContext.runAsNonRoot"}
}

test_uid_zero_contradicts_run_as_non_root if {
	c := {"name": "app", "image": fx.pinned_image, "securityContext": {"runAsNonRoot": true, "runAsUser": 0}}
	res := results with input as fx.input_of([fx.deployment("d", {"containers": [c]})])
	fx.failed_paths(res) == {"spec.template.spec.containers[0].securityContext.runAsUser"}
}

test_pod_level_uid_zero_is_inherited if {
	c := {"name": "app", "image": fx.pinned_image, "securityContext": {"runAsNonRoot": true}}
	spec := {"securityContext": {"runAsUser": 0}, "containers": [c]}
	res := results with input as fx.input_of([fx.pod("p", spec)])
	fx.statuses(res, "p") == {"fail"}
}

test_init_container_is_examined if {
	spec := {"initContainers": [{"name": "i", "image": fx.pinned_image}], "containers": [fx.good_container]}
	res := results with input as fx.input_of([fx.cronjob("cj", spec)])
	fx.failed_paths(res) == {"spec.jobTemplate.spec.template.spec.initContainers[0].securityContext.runAsNonRoot"}
	fx.passed_paths(res) == {"spec.jobTemplate.spec.template.spec.containers[0].securityContext.runAsNonRoot"}
}
