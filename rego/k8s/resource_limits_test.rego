package dxguard.checks.k8s.resource_limits_test

import data.dxguard.checks.k8s.resource_limits
import data.lib.check
import data.lib.fixtures_test as fx

# The check's rows, as dxguard.main derives them from its subjects.
results := [check.row(resource_limits.meta, s) | some s in resource_limits.subjects]

test_cpu_and_memory_limits_pass if {
	res := results with input as fx.input_of([fx.deployment("d", {"containers": [fx.good_container]})])
	fx.statuses(res, "d") == {"pass"}
}

test_missing_memory_limit_fails if {
	c := object.union(object.remove(fx.good_container, ["resources"]), {"resources": {"limits": {"cpu": "500m"}}})
	res := results with input as fx.input_of([fx.deployment("d", {"containers": [c]})])
	fx.failed_paths(res) == {"spec.template.spec.containers[0].resources.limits"}
	some r in res
	contains(r.message, "memory")
	not contains(r.message, "cpu")
}

test_init_container_without_resources_fails if {
	spec := {"initContainers": [{"name": "i", "image": fx.pinned_image}], "containers": [fx.good_container]}
	res := results with input as fx.input_of([fx.cronjob("cj", spec)])
	fx.failed_paths(res) == {"spec.jobTemplate.spec.template.spec.initContainers[0].resources.limits"}
}

test_ephemeral_containers_are_not_examined if {
	spec := {"containers": [fx.good_container], "ephemeralContainers": [{"name": "debug", "image": "busybox"}]}
	res := results with input as fx.input_of([fx.pod("p", spec)])
	fx.passed_paths(res) == {"spec.containers[0].resources.limits"}
	count(res) == 1
}
