package dxguard.checks.k8s.tier_separation_test

import data.dxguard.checks.k8s.tier_separation
import data.lib.check
import data.lib.fixtures_test as fx

# The check's rows, as dxguard.main derives them from its subjects.
results := [check.row(tier_separation.meta, s) | some s in tier_separation.subjects]

run(resources) := res if {
	res := results with input as fx.input_of(resources) with data.dxguard.config as fx.config
}

research_spec := {"containers": [fx.good_container]}

test_separated_workloads_pass if {
	res := run([
		fx.deployment_in("c", "clinical-pathology", {}, fx.clinical_spec),
		fx.deployment_in("r", "research-ml", {}, research_spec),
	])
	{r.status | some r in res} == {"pass"}
	count(res) == 2
}

test_research_workload_in_clinical_namespace_fails if {
	res := run([fx.deployment_in("r", "clinical-pathology", {"dxguard.io/tier": "research"}, research_spec)])
	fx.failed_paths(res) == {"metadata.namespace"}
}

test_clinical_workload_outside_clinical_namespaces_fails if {
	res := run([fx.deployment_in("c", "default", {"dxguard.io/tier": "clinical"}, fx.clinical_spec)])
	fx.failed_paths(res) == {"metadata.namespace"}
}

test_research_pod_targeting_clinical_nodes_fails if {
	spec := object.union(research_spec, {"nodeSelector": {"dxguard.io/node-pool": "clinical"}})
	fx.failed_paths(run([fx.deployment_in("r", "research-ml", {}, spec)])) == {"spec.template.spec.nodeSelector"}
}

test_research_pod_tolerating_every_taint_fails if {
	spec := object.union(research_spec, {"tolerations": [{"operator": "Exists"}]})
	fx.failed_paths(run([fx.deployment_in("r", "research-ml", {}, spec)])) == {"spec.template.spec.tolerations[0]"}
}

test_other_tier_is_not_examined if {
	count(run([fx.deployment_in("o", "default", {}, research_spec)])) == 0
}

test_namespace_labelled_clinical_in_the_inventory_is_clinical if {
	ns := fx.namespace("ns", "imaging", {"dxguard.io/tier": "clinical"})
	d := fx.deployment_in("r", "imaging", {"dxguard.io/tier": "research"}, research_spec)
	res := results with input as fx.input_of([d])
		with data.dxguard.config as fx.config
		with data.inventory as {"k8s": {"Namespace": {"": {"imaging": [ns]}}}}
	fx.failed_paths(res) == {"metadata.namespace"}
	some r in res
	contains(r.message, "clinical namespace \"imaging\"")
}

test_violations_at_one_field_are_one_subject if {
	selector := {"dxguard.io/node-pool": "clinical", "dxguard.io/zone": "secure"}
	spec := object.union(research_spec, {"nodeSelector": selector})
	res := results with input as fx.input_of([fx.deployment_in("r", "research-ml", {}, spec)])
		with data.dxguard.config as fx.config_with({"clinical_node_selector": selector})
	[r] := res
	r.path == "spec.template.spec.nodeSelector"
	contains(r.message, "node label dxguard.io/node-pool=clinical")
	contains(r.message, "node label dxguard.io/zone=secure")
}
