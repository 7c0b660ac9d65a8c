package dxguard.checks.image.os_eol_test

import data.dxguard.checks.image.os_eol
import data.lib.check
import data.lib.supply_chain_test as t

# The rows of the check's subjects, as dxguard.main derives them.
results := [check.row(os_eol.meta, s) | some s in os_eol.subjects]

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

os(name, eol) := {"family": "debian", "name": name, "eol": eol, "file": "trivy.json"}

test_supported_release_passes if {
	t.rows(run([t.image(t.digest_a, {})]), id) == {["pass", "normalized.os", ""]}
}

test_release_past_its_configured_date_fails if {
	res := run([t.image(t.digest_a, {"os": os("10.13", null)})])
	t.rows(res, id) == {["fail", "normalized.os", ""]}
	some msg in t.messages(res)
	contains(msg, "ended on 2024-07-01")
}

test_scanner_end_of_support_flag_fails if {
	res := run([t.image(t.digest_a, {"os": os("13.1", true)})])
	some msg in t.messages(res)
	contains(msg, "trivy.json flags debian 13.1 as end of support")
}

test_version_prefix_needs_a_dot if {
	t.rows(run([t.image(t.digest_a, {"os": os("100.1", null)})]), id) == {["pass", "normalized.os", ""]}
}

test_scanned_image_without_os_passes_and_unscanned_is_not_examined if {
	t.rows(run([t.image(t.digest_a, {"os": null})]), id) == {["pass", "normalized.os", ""]}
	t.rows(run([t.image(t.digest_a, {"os": null, "scans": []})]), id) == set()
}
