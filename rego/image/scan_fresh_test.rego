package dxguard.checks.image.scan_fresh_test

import data.dxguard.checks.image.scan_fresh
import data.lib.supply_chain_test as t

run(resources) := r if {
	r := scan_fresh.results with input as t.input_of(resources) with data.dxguard.config as t.cfg
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
	res := scan_fresh.results with input as object.union(t.input_of([t.image(t.digest_a, {})]), {"context": {"as_of": "2026-12-24T00:00:00Z"}})
		with data.dxguard.config as t.cfg
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
