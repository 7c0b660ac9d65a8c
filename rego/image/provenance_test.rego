package dxguard.checks.image.provenance_test

import data.dxguard.checks.image.provenance
import data.lib.check
import data.lib.supply_chain_test as t

# The rows of the check's subjects, as dxguard.main derives them.
results := [check.row(provenance.meta, s) | some s in provenance.subjects]

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

prov(overrides) := object.union(t.clean_record(t.digest_a).provenance[0], overrides)

test_allowed_builder_with_pinned_materials_passes if {
	t.rows(run([t.image(t.digest_a, {})]), id) == {["pass", "normalized.provenance[0]", ""]}
}

test_other_builder_fails_naming_it if {
	res := run([t.image(t.digest_a, {"provenance": [prov({"builder": "https://laptop.dx.example/dev"})]})])
	t.rows(res, id) == {["fail", "normalized.provenance[0]", ""]}
	some msg in t.messages(res)
	contains(msg, `builder "https://laptop.dx.example/dev" is not in image_builders`)
}

test_unpinned_material_fails if {
	materials := [{"uri": "pkg:docker/debian:12", "digest": {}}]
	res := run([t.image(t.digest_a, {"provenance": [prov({"materials": materials})]})])
	some msg in t.messages(res)
	contains(msg, "pkg:docker/debian:12 carry no digest")
}

test_missing_provenance_fails if {
	t.rows(run([t.image(t.digest_a, {"provenance": []})]), id) == {["fail", "normalized.provenance", ""]}
}
