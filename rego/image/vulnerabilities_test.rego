package dxguard.checks.image.vulnerabilities_test

import data.dxguard.checks.image.vulnerabilities
import data.lib.check
import data.lib.supply_chain_test as t

# The rows of the check's subjects, as dxguard.main derives them.
results := [check.row(vulnerabilities.meta, s) | some s in vulnerabilities.subjects]

run(resources) := judge(resources, t.cfg, t.as_of)

# Every resource judged alone (as in a scan chunk or at admission), with the inventory built
# from all of them.
judge(resources, cfg, time) := {r |
	inv := t.inventory_of(resources)
	some res in resources
	rows := results with input as t.input_at([res], time) with data.inventory as inv with data.dxguard.config as cfg
	some r in rows
}

id := concat(":", ["image", t.digest_a])

vuln(cve, severity, pkg, fixed) := {
	"id": cve, "severity": severity, "package": pkg, "installed": "1.0",
	"fixed": fixed, "scanner": "trivy", "file": "trivy.json",
}

test_high_without_fix_and_medium_pass if {
	vulns := [vuln("CVE-2026-0001", "HIGH", "zlib", null), vuln("CVE-2026-0002", "MEDIUM", "curl", "8.1")]
	t.rows(run([t.image(t.digest_a, {"vulnerabilities": vulns})]), id) == {["pass", "normalized.vulnerabilities", ""]}
}

test_each_failing_cve_is_its_own_subject if {
	vulns := [
		vuln("CVE-2026-1000", "CRITICAL", "openssl", null),
		vuln("CVE-2026-1000", "CRITICAL", "libssl3", null),
		vuln("CVE-2026-2000", "HIGH", "curl", "8.11.1-1"),
		vuln("CVE-2026-3000", "HIGH", "zlib", null),
		vuln("CVE-2026-4000", "LOW", "tar", "1.35"),
	]
	res := run([t.image(t.digest_a, {"vulnerabilities": vulns})])
	t.rows(res, id) == {
		["fail", "normalized.vulnerabilities[0]", "CVE-2026-1000"],
		["fail", "normalized.vulnerabilities[2]", "CVE-2026-2000"],
	}
	some msg in t.messages(res)
	contains(msg, "CVE-2026-1000 (CRITICAL) in libssl3 1.0 (no fix yet), openssl 1.0 (no fix yet)")
	some msg2 in t.messages(res)
	contains(msg2, "curl 1.0 (fixed in 8.11.1-1)")
}

test_configured_severities_are_used if {
	cfg := object.union(t.cfg, {"parameters": {"image_vulnerability_fail_severities": ["CRITICAL", "HIGH"]}})
	vulns := [vuln("CVE-2026-3000", "HIGH", "zlib", null)]
	res := judge([t.image(t.digest_a, {"vulnerabilities": vulns})], cfg, t.as_of)
	t.rows(res, id) == {["fail", "normalized.vulnerabilities[0]", "CVE-2026-3000"]}
}

test_record_without_scan_is_not_examined if {
	res := run([t.image(t.digest_a, {"scans": [], "vulnerabilities": []})])
	t.rows(res, id) == set()
}
