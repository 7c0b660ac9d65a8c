package dxguard.checks.k8s.read_only_root_test

import data.dxguard.checks.k8s.read_only_root
import data.lib.check
import data.lib.fixtures_test as fx

# The check's rows, as dxguard.main derives them from its subjects.
results := [check.row(read_only_root.meta, s) | some s in read_only_root.subjects]

test_read_only_root_passes if {
	res := results with input as fx.input_of([fx.deployment("d", {"containers": [fx.hardened_container]})])
	fx.statuses(res, "d") == {"pass"}
}

test_writable_root_of_init_container_fails if {
	spec := {"initContainers": [fx.good_container], "containers": [fx.hardened_container]}
	res := results with input as fx.input_of([fx.cronjob("cj", spec)])
	fx.failed_paths(res) == {"spec.jobTemplate.spec.template.spec.initContainers[0].securityContext.readOnlyRootFilesystem"}
}
