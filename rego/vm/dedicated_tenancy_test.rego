package dxguard.checks.vm.dedicated_tenancy_test

import data.dxguard.checks.vm.dedicated_tenancy
import data.lib.check
import data.lib.vm_fixtures_test as fx

# The rows of the check's subjects, as dxguard.main derives them.
results := [check.row(dedicated_tenancy.meta, s) | some s in dedicated_tenancy.subjects]

machine(id, dedicated, kind) := fx.vm(id, {"labels": fx.clinical_labels, "tenancy": {"dedicated": dedicated, "kind": kind, "path": "values.tenancy"}})

test_dedicated_tenancy_passes if {
	res := results with input as fx.input_of([machine("a", true, "dedicated")])
		with data.dxguard.config.tiers as fx.tiers
	fx.statuses(res, "a") == {"pass"}
}

test_shared_or_unset_tenancy_fails if {
	res := results with input as fx.input_of([machine("a", false, "default"), machine("b", null, null)])
		with data.dxguard.config.tiers as fx.tiers
	fx.statuses(res, "a") == {"fail"}
	some msg in fx.messages(res)
	contains(msg, "default (shared) tenancy")
}
