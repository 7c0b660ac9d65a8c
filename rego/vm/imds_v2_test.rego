package dxguard.checks.vm.imds_v2_test

import data.dxguard.checks.vm.imds_v2
import data.lib.check
import data.lib.vm_fixtures_test as fx

# The rows of the check's subjects, as dxguard.main derives them.
results := [check.row(imds_v2.meta, s) | some s in imds_v2.subjects]

md(enabled, required) := {"enabled": enabled, "tokens_required": required, "path": "values.metadata_options[0].http_tokens"}

test_tokens_required_passes if {
	res := results with input as fx.input_of([fx.vm("a", {"platform": "aws", "metadata_service": md(true, true)})])
	fx.statuses(res, "a") == {"pass"}
}

test_disabled_endpoint_passes if {
	res := results with input as fx.input_of([fx.vm("a", {"platform": "aws", "metadata_service": md(false, null)})])
	fx.statuses(res, "a") == {"pass"}
}

test_optional_tokens_fail if {
	res := results with input as fx.input_of([fx.vm("a", {"platform": "aws", "metadata_service": md(true, false)})])
	fx.failed_paths(res) == {"values.metadata_options[0].http_tokens"}
	some msg in fx.messages(res)
	contains(msg, "IMDSv1")
}

test_unknown_fails if {
	res := results with input as fx.input_of([fx.vm("a", {"platform": "aws", "metadata_service": md(null, null)})])
	fx.statuses(res, "a") == {"fail"}
}
