# METADATA
# title: No critical vulnerabilities, and no high ones with a fix available
# description: |
#   Known exploitable weaknesses in a deployed image are the first thing a postmarket
#   vulnerability process must address. Every vulnerability that the scan reports of an image
#   digest list is examined: a severity in image_vulnerability_fail_severities (default
#   CRITICAL) fails, and so does one in image_vulnerability_fail_with_fix_severities (default
#   HIGH) when the scanner reports a fixed version. Each failing vulnerability id is its own
#   failure with the id as subject, so it can be waived on its own (with justification,
#   approver and expiry). An image without any scan report is reported by DXG-IMG-SCN-002.
# scope: package
# custom:
#   id: DXG-IMG-SCN-003
#   family: scanning
#   severity: critical
#   targets:
#     image: [Image]
#   scope: object
#   inventory: [image_users]
#   remediation: Update the affected package or rebuild on a patched base image and redeploy the new digest; where that is not yet possible, record a time-limited waiver for that vulnerability id with its risk justification.
#   parameters: [image_vulnerability_fail_severities, image_vulnerability_fail_with_fix_severities]
package dxguard.checks.image.vulnerabilities

import data.dxguard.config
import data.lib.check
import data.lib.supply_chain as sc

meta := check.meta(rego.metadata.chain())

always_fail := {s | some s in config.parameters.image_vulnerability_fail_severities}

fail_with_fix := {s | some s in config.parameters.image_vulnerability_fail_with_fix_severities}

failing(v) if v.severity in always_fail

failing(v) if {
	v.severity in fail_with_fix
	is_string(v.fixed)
}

failing_ids(res) := {v.id | some v in res.normalized.vulnerabilities; failing(v)}

severity_rank := {"CRITICAL": 5, "HIGH": 4, "MEDIUM": 3, "LOW": 2, "NEGLIGIBLE": 1, "UNKNOWN": 0}

# An image record whose scans find nothing that fails, examined once as a whole.
subjects contains check.subject(res.id, "normalized.vulnerabilities", "") if {
	some res in sc.in_scope
	count(res.normalized.scans) > 0
	count(failing_ids(res)) == 0
}

# Each failing vulnerability id of a record, examined once (its own subject, so that it can be
# waived on its own), at its first listing.
subjects contains check.named_subject(res.id, path, id, msg) if {
	some res in sc.in_scope
	some id in failing_ids(res)
	hits := {i | some i, v in res.normalized.vulnerabilities; v.id == id; failing(v)}
	vulns := [res.normalized.vulnerabilities[i] | some i in hits]
	path := sprintf("normalized.vulnerabilities[%d]", [min(hits)])
	worst := max({severity_rank[v.severity] | some v in vulns})
	severity := [s | some s, rank in severity_rank; rank == worst][0]
	packages := sort({package_text(v) | some v in vulns})
	reports := sort({sprintf("%s in %s", [v.scanner, v.file]) | some v in vulns})
	msg := sprintf(
		"%s (%s) in %s of %s (%s), reported by %s; update the package or rebuild on a patched base image, or record a time-limited waiver for %s",
		[id, severity, sc.sample(packages, 3), sc.label(res), sc.usage(res), concat(", ", reports), id],
	)
}

package_text(v) := sprintf("%s %s (fixed in %s)", [v.package, v.installed, v.fixed]) if {
	is_string(v.fixed)
} else := sprintf("%s %s (no fix yet)", [v.package, v.installed])
