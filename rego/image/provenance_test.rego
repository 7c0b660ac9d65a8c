package dxguard.checks.image.provenance_test

import data.dxguard.checks.image.provenance
import data.lib.supply_chain_test as t

run(resources) := r if {
	r := provenance.results with input as t.input_of(resources) with data.dxguard.config as t.cfg
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
