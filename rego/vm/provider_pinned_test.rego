package dxguard.checks.vm.provider_pinned_test

import data.dxguard.checks.vm.provider_pinned
import data.lib.check
import data.lib.vm_fixtures_test as fx

# The rows of the check's subjects, as dxguard.main derives them.
results := [check.row(provider_pinned.meta, s) | some s in provider_pinned.subjects]

plan(providers) := fx.vm("plan", {"role": "toolchain", "format": "terraform-plan", "platform": "other", "providers": providers})

test_exact_version_passes if {
	p := {"name": "aws", "source": "registry.terraform.io/hashicorp/aws", "constraint": "= 5.72.1", "exact": true, "path": "configuration.provider_config.aws"}
	res := results with input as fx.input_of([plan([p])])
	fx.statuses(res, "plan") == {"pass"}
	{r.subject | some r in res} == {"aws"}
}

test_range_and_missing_constraint_fail if {
	ranged := {"name": "aws", "source": null, "constraint": "~> 5.0", "exact": false, "path": "configuration.provider_config.aws"}
	missing := {"name": "google", "source": null, "constraint": null, "exact": false, "path": "configuration"}
	res := results with input as fx.input_of([plan([ranged, missing])])
	fx.failed_paths(res) == {"configuration.provider_config.aws", "configuration"}
	some msg in fx.messages(res)
	contains(msg, "~> 5.0")
}
