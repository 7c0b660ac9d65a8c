# METADATA
# title: CloudTrail logs with log file validation
# description: |
#   Log file validation makes CloudTrail write signed digest files, so any change to or deletion
#   of a delivered log file can be detected: audit trails whose integrity can be shown. The trail
#   must also be logging.
# scope: package
# custom:
#   id: DXG-VM-LOG-003
#   family: logging
#   severity: high
#   targets:
#     vm: [aws_cloudtrail]
#   scope: object
#   remediation: Set enable_log_file_validation = true on the aws_cloudtrail resource and keep enable_logging true.
package dxguard.checks.vm.cloudtrail_validation

import data.lib.check
import data.lib.vm

meta := check.meta(rego.metadata.chain())

problems(t) := [p |
	some key, p in {"log_file_validation": "log file validation is off", "logging": "logging is stopped"}
	t[key] == false
]

# Every audit trail, examined once.
subjects contains check.subject(res.id, t.path, problem(res, t)) if {
	some res in vm.of_role("audit-trail")
	t := vm.fact(res, "audit_trail")
}

problem(res, t) := sprintf("%s: %s; enable log file validation so tampering with delivered logs is detectable", [vm.label(res), concat(" and ", sort(p))]) if {
	p := problems(t)
	count(p) > 0
} else := ""
