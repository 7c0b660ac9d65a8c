package dxguard.checks.k8s.tier_separation_test

import data.dxguard.checks.k8s.tier_separation
import data.lib.fixtures_test as fx

run(resources) := res if {
	res := tier_separation.results with input as fx.input_of(resources) with data.dxguard.config as fx.config
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
