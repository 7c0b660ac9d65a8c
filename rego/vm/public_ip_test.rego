package dxguard.checks.vm.public_ip_test

import data.dxguard.checks.vm.public_ip
import data.lib.vm_fixtures_test as fx

machine(id, labels, public) := fx.vm(id, {"platform": "aws", "labels": labels, "network": {"public_ip": public, "path": "values.associate_public_ip_address"}})

test_clinical_vm_without_public_ip_passes if {
	res := public_ip.results with input as fx.input_of([machine("a", fx.clinical_labels, false)])
		with data.dxguard.config.tiers as fx.tiers
	fx.statuses(res, "a") == {"pass"}
}

test_clinical_vm_with_public_or_unknown_ip_fails if {
	res := public_ip.results with input as fx.input_of([machine("a", fx.clinical_labels, true), machine("b", fx.clinical_labels, null)])
		with data.dxguard.config.tiers as fx.tiers
	fx.statuses(res, "a") == {"fail"}
	fx.statuses(res, "b") == {"fail"}
}

test_research_vm_is_not_examined if {
	count(public_ip.results) == 0 with input as fx.input_of([machine("r", fx.research_labels, true)])
		with data.dxguard.config.tiers as fx.tiers
}
