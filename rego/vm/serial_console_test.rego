package dxguard.checks.vm.serial_console_test

import data.dxguard.checks.vm.serial_console
import data.lib.check
import data.lib.vm_fixtures_test as fx

# The rows of the check's subjects, as dxguard.main derives them.
results := [check.row(serial_console.meta, s) | some s in serial_console.subjects]

test_serial_console_off_passes if {
	res := results with input as fx.input_of([fx.vm("v", {"serial_console": {"enabled": false, "path": "spec.preference"}})])
	fx.passed_paths(res) == {"spec.preference"}
}

test_default_serial_console_fails if {
	res := results with input as fx.input_of([fx.vm("v", {"serial_console": {"enabled": true, "path": "spec.template.spec.domain.devices"}})])
	fx.failed_paths(res) == {"spec.template.spec.domain.devices"}
}
