package dxguard.checks.k8s.audit_retention_test

import data.dxguard.checks.k8s.audit_retention
import data.lib.fixtures_test as fx

# A cluster check: it judges the inventory, with no objects in the input.
run(resources) := rows_with(resources, fx.config)

rows_with(resources, config) := res if {
	res := fx.rows(audit_retention.meta, audit_retention.subjects) with data.inventory as fx.inventory_of(resources)
		with data.dxguard.config as config
}

with_flags(extra) := fx.apiserver("api", array.concat(array.slice(fx.audit_flags, 0, 2), extra))

test_two_years_and_no_count_limit_pass if {
	fx.statuses(run([fx.apiserver("api", fx.audit_flags)]), "api") == {"pass"}
}

test_unset_retention_keeps_files_and_passes if {
	fx.statuses(run([with_flags([])]), "api") == {"pass"}
}

test_short_max_age_fails_at_the_flag if {
	res := run([with_flags(["--audit-log-maxage=30"])])
	fx.failed_paths(res) == {"spec.containers[0].command[3]"}
	some r in res
	contains(r.message, "731 days")
}

test_count_limit_fails if {
	fx.failed_paths(run([with_flags(["--audit-log-maxage", "800", "--audit-log-maxbackup", "10"])])) == {"spec.containers[0].command[5]"}
}

test_device_lifetime_raises_the_minimum if {
	res := rows_with([fx.apiserver("api", fx.audit_flags)], fx.config_with({"device_lifetime_years": 5}))
	some r in res
	contains(r.message, "1827 days")
}

test_webhook_only_backend_is_not_examined if {
	count(run([fx.apiserver("api", ["--audit-policy-file=/p", "--audit-webhook-config-file=/w"])])) == 0
}

test_missing_apiserver_fails_with_clinical_workloads if {
	fx.statuses(run([fx.deployment("d", fx.clinical_spec)]), "d") == {"fail"}
}

test_age_and_count_limits_are_two_subjects if {
	res := run([with_flags(["--audit-log-maxage=30", "--audit-log-maxbackup=10"])])
	fx.failed_paths(res) == {"spec.containers[0].command[3]", "spec.containers[0].command[4]"}
	count(fx.passed_paths(res)) == 0
}
