package dxguard.checks.vm.dedicated_tenancy_test

import data.dxguard.checks.vm.dedicated_tenancy
import data.lib.check
import data.lib.vm_fixtures_test as fx

# The rows of the check's subjects, as dxguard.main derives them.
results := [check.row(dedicated_tenancy.meta, s) | some s in dedicated_tenancy.subjects]

machine(id, kind) := fx.vm(id, {"labels": fx.clinical_labels, "tenancy": {"kind": kind, "path": "values.tenancy"}})

test_dedicated_tenancy_passes if {
	res := results with input as fx.input_of([machine("a", "dedicated"), machine("h", "host"), machine("g", "sole-tenant"), machine("z", "dedicated-host")])
		with data.dxguard.config.tiers as fx.tiers
	{r.resource | some r in res; r.status == "pass"} == {"a", "h", "g", "z"}
	count(fx.messages(res)) == 0
}

test_shared_or_unset_tenancy_fails if {
	res := results with input as fx.input_of([machine("a", "default"), machine("b", null), machine("c", "shared")])
		with data.dxguard.config.tiers as fx.tiers
	fx.statuses(res, "a") == {"fail"}
	fx.statuses(res, "b") == {"fail"}
	fx.statuses(res, "c") == {"fail"}
	some msg in fx.messages(res)
	contains(msg, "default (shared) tenancy")
}
