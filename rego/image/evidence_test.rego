package dxguard.checks.image.evidence_test

import data.dxguard.checks.image.evidence
import data.lib.check
import data.lib.fixtures_test as fx
import data.lib.supply_chain_test as t

# The rows of the check's subjects, as dxguard.main derives them.
results := [check.row(evidence.meta, s) | some s in evidence.subjects]

run(resources) := judge(resources, t.cfg, t.as_of)

# Every resource judged alone (as in a scan chunk or at admission), with the inventory built
# from all of them.
judge(resources, cfg, time) := {r |
	inv := t.inventory_of(resources)
	some res in resources
	rows := results with input as t.input_at([res], time) with data.inventory as inv with data.dxguard.config as cfg
	some r in rows
}

vm(id, image) := {
	"id": id, "family": "vm", "kind": "VirtualMachine", "name": id, "namespace": "clinical",
	"object": {}, "normalized": {"disks": [{"name": "rootdisk", "image": image}]},
}

test_digest_with_a_record_passes_at_the_image_field if {
	res := run([t.image(t.digest_a, {}), t.deployment("d", "clinical", t.ref(t.digest_a))])
	t.rows(res, "d") == {["pass", "spec.template.spec.containers[0].image", ""]}
}

test_tag_only_reference_in_clinical_fails_saying_it_cannot_be_matched if {
	res := run([t.deployment("d", "clinical", "registry.dx.example/app:1.0.0")])
	t.rows(res, "d") == {["fail", "spec.template.spec.containers[0].image", ""]}
	some msg in t.messages(res)
	contains(msg, "referenced by tag only")
	contains(msg, "cannot be matched")
}

test_digest_without_record_in_clinical_is_no_evidence if {
	res := run([t.image(t.digest_a, {}), t.deployment("d", "clinical", t.ref(t.digest_b))])
	t.rows(res, "d") == {["fail", "spec.template.spec.containers[0].image", ""]}
	some msg in t.messages(res)
	contains(msg, "has no evidence")
	contains(msg, t.digest_b)
}

test_research_workload_without_evidence_is_not_examined if {
	res := run([
		t.deployment("tagged", "research", "registry.dx.example/app:1.0.0"),
		t.deployment("unknown", "research", t.ref(t.digest_b)),
	])
	count(res) == 0
}

test_research_workload_with_evidence_passes if {
	res := run([t.image(t.digest_a, {}), t.deployment("d", "research", t.ref(t.digest_a))])
	t.rows(res, "d") == {["pass", "spec.template.spec.containers[0].image", ""]}
}

test_configured_tiers_widen_the_requirement if {
	cfg := object.union(t.cfg, {"parameters": {"image_evidence_tiers": ["clinical", "research"]}})
	res := judge([t.deployment("d", "research", t.ref(t.digest_b))], cfg, t.as_of)
	t.rows(res, "d") == {["fail", "spec.template.spec.containers[0].image", ""]}
}

test_one_digest_used_by_many_workloads_matches_each if {
	res := run([
		t.image(t.digest_a, {}),
		t.deployment("d1", "clinical", t.ref(t.digest_a)),
		t.deployment("d2", "clinical", t.ref(t.digest_a)),
		fx.cronjob("cj", {"initContainers": [{"name": "i", "image": t.ref(t.digest_a)}], "containers": [{"name": "c", "image": t.ref(t.digest_a)}]}),
	])
	count({r | some r in res; r.status == "pass"}) == 4
	count({r | some r in res; r.status == "fail"}) == 0
}

test_vm_container_disk_is_joined_by_digest if {
	res := run([
		t.image(t.digest_a, {}),
		vm("vm-ok", t.ref(t.digest_a)),
		vm("vm-missing", t.ref(t.digest_b)),
		vm("vm-tag", "registry.dx.example/vm-images/analysis:2026.11"),
	])
	t.rows(res, "vm-ok") == {["pass", "normalized.disks[0].image", ""]}
	t.rows(res, "vm-missing") == {["fail", "normalized.disks[0].image", ""]}
	t.rows(res, "vm-tag") == {["fail", "normalized.disks[0].image", ""]}
	some msg in t.messages(res)
	contains(msg, `disk "rootdisk"`)
}
