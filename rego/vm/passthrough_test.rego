package dxguard.checks.vm.passthrough_test

import data.dxguard.checks.vm.passthrough
import data.lib.check
import data.lib.vm_fixtures_test as fx

# The rows of the check's subjects, as dxguard.main derives them.
results := [check.row(passthrough.meta, s) | some s in passthrough.subjects]

gpu := {"kind": "gpu", "name": "gpu1", "device": "nvidia.com/GA102GL_A10", "path": "spec.template.spec.domain.devices.gpus[0]"}

host_disk := {"kind": "host-disk", "name": "scratch", "device": "/var/lib/scratch.img", "path": "spec.template.spec.volumes[1].hostDisk"}

test_nothing_passed_through_passes if {
	res := results with input as fx.input_of([fx.vm("v", {"passthrough": []})])
		with data.dxguard.config.parameters.vm_allowed_passthrough as []
	fx.statuses(res, "v") == {"pass"}
	fx.passed_paths(res) == {"spec.template.spec.domain.devices"}
}

test_host_disk_and_unlisted_gpu_fail if {
	res := results with input as fx.input_of([fx.vm("v", {"passthrough": [gpu, host_disk]})])
		with data.dxguard.config.parameters.vm_allowed_passthrough as []
	fx.failed_paths(res) == {gpu.path, host_disk.path}
}

test_allowed_gpu_passes_but_host_disk_still_fails if {
	res := results with input as fx.input_of([fx.vm("v", {"passthrough": [gpu, host_disk]})])
		with data.dxguard.config.parameters.vm_allowed_passthrough as ["nvidia.com/GA102GL_A10"]
	fx.passed_paths(res) == {gpu.path}
	fx.failed_paths(res) == {host_disk.path}
}
