package dxguard.checks.vm.os_validated_test

import data.dxguard.checks.vm.os_validated
import data.lib.check
import data.lib.vm_fixtures_test as fx

# The rows of the check's subjects, as dxguard.main derives them.
results := [check.row(os_validated.meta, s) | some s in os_validated.subjects]

validated := [{"os": "rocky", "version": "9.4", "kernels": ["5.14.0-427.13.1.el9_4.x86_64"]}]

os(kernel) := {"name": "rocky", "version": "9.4", "kernel": kernel, "path": "metadata"}

test_validated_os_and_kernel_pass if {
	res := results with input as fx.input_of([fx.vm("v", {"os": os("5.14.0-427.13.1.el9_4.x86_64")})])
		with data.dxguard.config.parameters.vm_validated_os as validated
	fx.statuses(res, "v") == {"pass"}
}

test_unvalidated_kernel_fails if {
	res := results with input as fx.input_of([fx.vm("v", {"os": os("5.14.0-503.el9.x86_64")})])
		with data.dxguard.config.parameters.vm_validated_os as validated
	fx.statuses(res, "v") == {"fail"}
	some msg in fx.messages(res)
	contains(msg, "not on the validated list")
}

test_undeclared_kernel_fails_naming_what_is_missing if {
	res := results with input as fx.input_of([fx.vm("v", {"os": os(null)})])
		with data.dxguard.config.parameters.vm_validated_os as validated
	some msg in fx.messages(res)
	contains(msg, "does not declare its OS kernel")
}

test_empty_validated_list_fails_everything if {
	res := results with input as fx.input_of([fx.vm("v", {"os": os("5.14.0-427.13.1.el9_4.x86_64")})])
		with data.dxguard.config.parameters.vm_validated_os as []
	fx.statuses(res, "v") == {"fail"}
}
