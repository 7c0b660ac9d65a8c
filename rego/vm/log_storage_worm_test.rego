package dxguard.checks.vm.log_storage_worm_test

import data.dxguard.checks.vm.log_storage_worm
import data.lib.check
import data.lib.vm_fixtures_test as fx

# The rows of the check's subjects, as dxguard.main derives them.
results := [check.row(log_storage_worm.meta, s) | some s in log_storage_worm.subjects]

bucket(ls) := fx.vm("b", {"role": "log-storage", "format": "terraform-plan", "platform": "aws", "log_storage": object.union({"purpose": "CloudTrail trail delivers its logs here", "path": "values.object_lock_enabled"}, ls)})

test_compliance_mode_with_long_retention_passes if {
	res := results with input as fx.input_of([bucket({"object_lock_enabled": true, "mode": "COMPLIANCE", "retention_days": 2555})])
		with data.dxguard.config.parameters.vm_log_retention_min_days as 730
	fx.statuses(res, "b") == {"pass"}
}

test_governance_mode_fails if {
	res := results with input as fx.input_of([bucket({"object_lock_enabled": true, "mode": "GOVERNANCE", "retention_days": 2555})])
		with data.dxguard.config.parameters.vm_log_retention_min_days as 730
	some msg in fx.messages(res)
	contains(msg, "not write-once (retention mode GOVERNANCE)")
}

test_short_retention_fails if {
	res := results with input as fx.input_of([bucket({"retention_policy": true, "locked": true, "retention_days": 90})])
		with data.dxguard.config.parameters.vm_log_retention_min_days as 730
	some msg in fx.messages(res)
	contains(msg, "keeps logs for 90 days, less than the required 730 days")
}

test_no_object_lock_fails if {
	res := results with input as fx.input_of([bucket({"object_lock_enabled": false, "mode": null, "retention_days": null})])
		with data.dxguard.config.parameters.vm_log_retention_min_days as 730
	fx.statuses(res, "b") == {"fail"}
}

test_locked_gcs_retention_policy_passes_and_an_unlocked_one_fails if {
	locked := object.union(bucket({"retention_policy": true, "locked": true, "retention_days": 2555}), {"id": "locked"})
	unlocked := object.union(bucket({"retention_policy": true, "locked": false, "retention_days": 2555}), {"id": "unlocked"})
	res := results with input as fx.input_of([locked, unlocked])
		with data.dxguard.config.parameters.vm_log_retention_min_days as 730
	fx.statuses(res, "locked") == {"pass"}
	fx.statuses(res, "unlocked") == {"fail"}
	some msg in fx.messages(res)
	contains(msg, "not write-once (retention mode unlocked)")
}

test_compliance_mode_without_object_lock_enabled_fails if {
	res := results with input as fx.input_of([bucket({"object_lock_enabled": false, "mode": "COMPLIANCE", "retention_days": 2555})])
		with data.dxguard.config.parameters.vm_log_retention_min_days as 730
	fx.statuses(res, "b") == {"fail"}
}
