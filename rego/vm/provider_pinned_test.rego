package dxguard.checks.vm.provider_pinned_test

import data.dxguard.checks.vm.provider_pinned
import data.lib.check
import data.lib.vm_fixtures_test as fx

# The rows of the check's subjects, as dxguard.main derives them.
results := [check.row(provider_pinned.meta, s) | some s in provider_pinned.subjects]

plan(providers) := fx.vm("plan", {"role": "toolchain", "format": "terraform-plan", "platform": "other", "providers": providers})

test_exact_version_passes if {
	p := {"name": "aws", "source": "registry.terraform.io/hashicorp/aws", "constraint": "= 5.72.1", "path": "configuration.provider_config.aws"}
	res := results with input as fx.input_of([plan([p])])
	fx.statuses(res, "plan") == {"pass"}
	{r.subject | some r in res} == {"aws"}
}

test_range_and_missing_constraint_fail if {
	ranged := {"name": "aws", "source": null, "constraint": "~> 5.0", "path": "configuration.provider_config.aws"}
	missing := {"name": "google", "source": null, "constraint": null, "path": "configuration"}
	res := results with input as fx.input_of([plan([ranged, missing])])
	fx.failed_paths(res) == {"configuration.provider_config.aws", "configuration"}
	some msg in fx.messages(res)
	contains(msg, "~> 5.0")
}

test_exact_version_spellings_pass_and_ranges_fail if {
	exact := ["1.2.3", "= 1.2.3", "v1.2.3", " =1.2.3-beta.1 "]
	ranged := [">= 1.2.3", "1.2", "~> 1.2.3", "1.2.3, < 2.0.0", "latest"]
	ps := [{"name": sprintf("p%d", [i]), "source": null, "constraint": c, "path": sprintf("p%d", [i])} | some i, c in array.concat(exact, ranged)]
	res := results with input as fx.input_of([plan(ps)])
	{r.subject | some r in res; r.status == "pass"} == {"p0", "p1", "p2", "p3"}
	{r.subject | some r in res; r.status == "fail"} == {"p4", "p5", "p6", "p7", "p8"}
}
