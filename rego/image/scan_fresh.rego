# METADATA
# title: A fresh vulnerability scan exists for the image digest
# description: |
#   Vulnerability databases change daily: a scan is evidence only for the digest it scanned
#   and only for a while. Every image record in scope needs a Trivy or Grype report about its
#   digest whose scan time is no older than image_scan_max_age_days before the run's as-of
#   time. Reports dated after the as-of time did not exist then and do not count.
# scope: package
# custom:
#   id: DXG-IMG-SCN-002
#   family: scanning
#   severity: high
#   targets:
#     image: [Image]
#   scope: object
#   inventory: [image_users]
#   remediation: Scan the image by digest (trivy image --format json <name>@sha256:<digest>, or grype <name>@sha256:<digest> -o json) on a schedule shorter than the allowed age, and add the newest report to the scan's inputs.
#   parameters: [image_scan_max_age_days]
package dxguard.checks.image.scan_fresh

import data.dxguard.config
import data.lib.check
import data.lib.supply_chain as sc

meta := check.meta(rego.metadata.chain())

max_age_days := config.parameters.image_scan_max_age_days

# Scan times (ns) that existed at the as-of time.
usable_times(res) := [ns |
	some s in res.normalized.scans
	is_string(s.time)
	ns := time.parse_rfc3339_ns(s.time)
	ns <= sc.as_of_ns
]

# The newest usable scan (the first in record order when two share the time).
newest(res) := candidates[0] if {
	t := max(usable_times(res))
	candidates := [s |
		some s in res.normalized.scans
		is_string(s.time)
		time.parse_rfc3339_ns(s.time) == t
	]
}

age_days(res) := (sc.as_of_ns - max(usable_times(res))) / sc.day_ns

# Every image record in scope, examined once.
subjects contains check.subject(res.id, "normalized.scans", problem(res)) if {
	some res in sc.in_scope
}

problem(res) := sprintf(
	"%s (%s) has no vulnerability scan report for its digest; scan it by digest (trivy image --format json or grype -o json) and add the report to the inputs",
	[sc.label(res), sc.usage(res)],
) if {
	count(res.normalized.scans) == 0
} else := sprintf(
	"%s: its scan report(s) %s carry no scan time at or before the evaluation time %s, so their freshness cannot be shown; add a report with its scan time (Trivy CreatedAt, Grype descriptor.timestamp)",
	[sc.label(res), concat(", ", sort({s.file | some s in res.normalized.scans})), input.context.as_of],
) if {
	count(usable_times(res)) == 0
} else := sprintf(
	"%s (%s): its newest scan (%s, %s in %s) is %d days old as of %s, older than the %v days image_scan_max_age_days allows; rescan the digest and add the new report",
	[sc.label(res), sc.usage(res), newest(res).scanner, newest(res).time, newest(res).file, floor(age_days(res)), input.context.as_of, max_age_days],
) if {
	age_days(res) > max_age_days
} else := ""
