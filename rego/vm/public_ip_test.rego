package dxguard.checks.vm.public_ip_test

import data.dxguard.checks.vm.public_ip
import data.lib.check
import data.lib.vm_fixtures_test as fx

# The rows of the check's subjects, as dxguard.main derives them.
results := [check.row(public_ip.meta, s) | some s in public_ip.subjects]

machine(id, labels, public) := fx.vm(id, {"platform": "aws", "labels": labels, "network": {"public_ip": public, "path": "values.associate_public_ip_address"}})

test_clinical_vm_without_public_ip_passes if {
	res := results with input as fx.input_of([machine("a", fx.clinical_labels, false)])
		with data.dxguard.config.tiers as fx.tiers
	fx.statuses(res, "a") == {"pass"}
}

test_clinical_vm_with_public_or_unknown_ip_fails if {
	res := results with input as fx.input_of([machine("a", fx.clinical_labels, true), machine("b", fx.clinical_labels, null)])
		with data.dxguard.config.tiers as fx.tiers
	fx.statuses(res, "a") == {"fail"}
	fx.statuses(res, "b") == {"fail"}
}

test_research_vm_is_not_examined if {
	count(results) == 0 with input as fx.input_of([machine("r", fx.research_labels, true)])
		with data.dxguard.config.tiers as fx.tiers
}

test_vm_in_a_namespace_labelled_clinical_in_the_inventory_is_examined if {
	vm := object.union(machine("n", {}, true), {"namespace": "team-a"})
	ns := {"id": "ns", "family": "k8s", "kind": "Namespace", "name": "team-a", "namespace": null, "object": {"metadata": {"name": "team-a", "labels": fx.clinical_labels}}}
	res := results with input as fx.input_of([vm])
		with data.inventory as {"k8s": {"Namespace": {"": {"team-a": [ns]}}}}
		with data.dxguard.config.tiers as fx.tiers
	fx.statuses(res, "n") == {"fail"}
	unlabelled := results with input as fx.input_of([vm]) with data.inventory as {"k8s": {}} with data.dxguard.config.tiers as fx.tiers
	count(unlabelled) == 0
}
