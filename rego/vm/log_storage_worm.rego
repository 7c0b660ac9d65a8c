# METADATA
# title: Log storage is WORM with retention at least the configured minimum
# description: |
#   Audit trails must not be alterable and must be kept as long as the records they cover. Buckets
#   that receive logs (a CloudTrail target, a log sink destination, or labelled
#   dxguard.io/purpose=audit-logs) must be write-once: S3 Object Lock in COMPLIANCE mode or a
#   locked GCS retention policy, with retention of at least vm_log_retention_min_days.
# scope: package
# custom:
#   id: DXG-VM-LOG-002
#   family: logging
#   severity: high
#   targets:
#     vm: [aws_s3_bucket, google_storage_bucket]
#   scope: object
#   remediation: Enable S3 Object Lock with a default retention in COMPLIANCE mode (aws_s3_bucket_object_lock_configuration) or lock the GCS bucket's retention_policy (is_locked = true), with a retention period of at least vm_log_retention_min_days.
#   parameters: [vm_log_retention_min_days]
package dxguard.checks.vm.log_storage_worm

import data.lib.check
import data.lib.vm

meta := check.meta(rego.metadata.chain())

minimum := vm.param("vm_log_retention_min_days")

problems(ls) := [p |
	some p in [worm_problem(ls), retention_problem(ls)]
	p != ""
]

worm_problem(ls) := "" if vm.worm(ls)

else := sprintf("is not write-once (retention mode %s)", [mode(ls)])

retention_problem(ls) := "" if ls.retention_days >= minimum

else := sprintf("keeps logs for %s, less than the required %d days", [days(ls), minimum])

mode(ls) := m if m := vm.lock_mode(ls)

else := "none"

days(ls) := sprintf("%v days", [ls.retention_days]) if is_number(ls.retention_days)

else := "no set retention period"

# Every bucket that holds logs, examined once.
subjects contains check.subject(res.id, ls.path, problem(res, ls)) if {
	some res in vm.of_role("log-storage")
	ls := vm.fact(res, "log_storage")
}

problem(res, ls) := sprintf("%s holds logs (%s) but %s; make it WORM with retention of at least %d days", [vm.label(res), ls.purpose, concat(" and ", p), minimum]) if {
	p := problems(ls)
	count(p) > 0
} else := ""
