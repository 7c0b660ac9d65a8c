package dxguard.checks.image.annotations_test

import data.dxguard.checks.image.annotations
import data.lib.check
import data.lib.supply_chain_test as t

# The rows of the check's subjects, as dxguard.main derives them.
results := [check.row(annotations.meta, s) | some s in annotations.subjects]

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

test_annotations_and_labels_together_pass if {
	t.rows(run([t.image(t.digest_a, {})]), id) == {["pass", "normalized.annotations", ""]}
}

test_missing_and_empty_keys_fail_naming_them if {
	# object.union keeps the clean record's revision label; version is emptied, source dropped.
	res := run([t.image(t.digest_a, {"labels": {"org.opencontainers.image.version": ""}, "annotations": null})])
	t.rows(res, id) == {["fail", "normalized.annotations", ""]}
	some msg in t.messages(res)
	contains(msg, "annotation(s) org.opencontainers.image.version, org.opencontainers.image.source (")
}

test_no_configuration_evidence_fails if {
	res := run([t.image(t.digest_a, {"labels": null, "annotations": null})])
	some msg in t.messages(res)
	contains(msg, "no input shows its manifest annotations or config labels")
}
