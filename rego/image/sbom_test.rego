package dxguard.checks.image.sbom_test

import data.dxguard.checks.image.sbom
import data.lib.check
import data.lib.supply_chain_test as t

# The rows of the check's subjects, as dxguard.main derives them.
results := [check.row(sbom.meta, s) | some s in sbom.subjects]

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

doc(file, components) := {"format": "SPDX", "spec_version": "2.3", "created": null, "tool": null, "file": file, "components": components}

component(name, supplier) := {"name": name, "version": "1.0", "purl": concat("", ["pkg:generic/", name, "@1.0"]), "supplier": supplier}

test_complete_sbom_passes if {
	t.rows(run([t.image(t.digest_a, {})]), id) == {["pass", "normalized.sboms[0]", ""]}
}

test_components_missing_suppliers_fail_naming_them if {
	components := [component("zlib", null), component("curl", "curl project"), component("tar", null)]
	res := run([t.image(t.digest_a, {"sboms": [doc("spdx.json", components)]})])
	t.rows(res, id) == {["fail", "normalized.sboms[0]", ""]}
	some msg in t.messages(res)
	contains(msg, "2 of 3 components lack a supplier (tar, zlib)")
	contains(msg, "spdx.json")
}

test_one_complete_sbom_suffices if {
	sboms := [doc("a.json", [component("zlib", null)]), doc("b.json", [component("zlib", "zlib project")])]
	t.rows(run([t.image(t.digest_a, {"sboms": sboms})]), id) == {["pass", "normalized.sboms[1]", ""]}
}

test_missing_and_empty_sboms_fail if {
	t.rows(run([t.image(t.digest_a, {"sboms": []})]), id) == {["fail", "normalized.sboms", ""]}
	res := run([t.image(t.digest_a, {"sboms": [doc("empty.json", [])]})])
	some msg in t.messages(res)
	contains(msg, "lists no components")
}
