package dxguard.checks.image.scan_fresh_test

import data.dxguard.checks.image.scan_fresh
import data.lib.check
import data.lib.supply_chain_test as t

# The rows of the check's subjects, as dxguard.main derives them.
results := [check.row(scan_fresh.meta, s) | some s in scan_fresh.subjects]

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

scan(time) := {"scanner": "grype", "version": "0.86.1", "time": time, "target": "app", "file": "grype.json"}

test_scan_within_the_window_passes if {
	t.rows(run([t.image(t.digest_a, {})]), id) == {["pass", "normalized.scans", ""]}
}

test_stale_scan_fails_with_its_age_and_file if {
	res := run([t.image(t.digest_a, {"scans": [scan("2026-10-27T00:00:00Z")]})])
	t.rows(res, id) == {["fail", "normalized.scans", ""]}
	some msg in t.messages(res)
	contains(msg, "is 30 days old")
	contains(msg, "grype.json")
}

test_newest_of_several_scans_counts if {
	scans := [scan("2026-10-01T00:00:00Z"), scan("2026-11-25T00:00:00Z")]
	t.rows(run([t.image(t.digest_a, {"scans": scans})]), id) == {["pass", "normalized.scans", ""]}
}

test_as_of_past_the_window_flips_the_result if {
	res := judge([t.image(t.digest_a, {})], t.cfg, "2026-12-24T00:00:00Z")
	t.rows(res, id) == {["fail", "normalized.scans", ""]}
}

test_no_scan_report_fails if {
	res := run([t.image(t.digest_a, {"scans": []})])
	t.rows(res, id) == {["fail", "normalized.scans", ""]}
	some msg in t.messages(res)
	contains(msg, "no vulnerability scan report")
}

test_scan_dated_after_as_of_does_not_count if {
	res := run([t.image(t.digest_a, {"scans": [scan("2026-12-01T00:00:00Z")]})])
	t.rows(res, id) == {["fail", "normalized.scans", ""]}
}

test_out_of_scope_record_is_not_examined if {
	res := run([t.image(t.digest_a, {"scans": []}), t.deployment("d", "clinical", t.ref(t.digest_b))])
	t.rows(res, id) == set()
}
