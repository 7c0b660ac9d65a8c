package dxguard.checks.vm.serial_console_test

import data.dxguard.checks.vm.serial_console
import data.lib.vm_fixtures_test as fx

test_serial_console_off_passes if {
	res := serial_console.results with input as fx.input_of([fx.vm("v", {"serial_console": {"enabled": false, "path": "spec.preference"}})])
	fx.passed_paths(res) == {"spec.preference"}
}

test_default_serial_console_fails if {
	res := serial_console.results with input as fx.input_of([fx.vm("v", {"serial_console": {"enabled": true, "path": "spec.template.spec.domain.devices"}})])
	fx.failed_paths(res) == {"spec.template.spec.domain.devices"}
}
