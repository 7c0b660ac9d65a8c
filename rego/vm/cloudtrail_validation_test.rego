package dxguard.checks.vm.cloudtrail_validation_test

import data.dxguard.checks.vm.cloudtrail_validation
import data.lib.check
import data.lib.vm_fixtures_test as fx

# The rows of the check's subjects, as dxguard.main derives them.
results := [check.row(cloudtrail_validation.meta, s) | some s in cloudtrail_validation.subjects]

trail(validation, logging) := fx.vm("t", {"role": "audit-trail", "format": "terraform-plan", "platform": "aws", "audit_trail": {"log_file_validation": validation, "logging": logging, "path": "values.enable_log_file_validation"}})

test_validated_trail_passes if {
	res := results with input as fx.input_of([trail(true, true)])
	fx.statuses(res, "t") == {"pass"}
}

test_trail_without_validation_fails if {
	res := results with input as fx.input_of([trail(false, true)])
	fx.failed_paths(res) == {"values.enable_log_file_validation"}
}

test_stopped_trail_fails if {
	res := results with input as fx.input_of([trail(true, false)])
	some msg in fx.messages(res)
	contains(msg, "logging is stopped")
}
