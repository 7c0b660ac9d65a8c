package dxguard.checks.k8s.clinical_dedicated_nodes_test

import data.dxguard.checks.k8s.clinical_dedicated_nodes
import data.lib.check
import data.lib.fixtures_test as fx

# The check's rows, as dxguard.main derives them from its subjects.
results := [check.row(clinical_dedicated_nodes.meta, s) | some s in clinical_dedicated_nodes.subjects]

run(resources) := res if {
	res := results with input as fx.input_of(resources) with data.dxguard.config as fx.config
}

test_selector_and_toleration_pass if {
	fx.statuses(run([fx.deployment("d", fx.clinical_spec)]), "d") == {"pass"}
}

test_required_node_affinity_counts if {
	term := {"matchExpressions": [{"key": "dxguard.io/node-pool", "operator": "In", "values": ["clinical"]}]}
	spec := object.union(object.remove(fx.clinical_spec, ["nodeSelector"]), {"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [term]}}}})
	fx.statuses(run([fx.deployment("d", spec)]), "d") == {"pass"}
}

test_missing_selector_and_toleration_fail if {
	res := run([fx.cronjob("cj", {"containers": [fx.good_container]})])
	fx.failed_paths(res) == {"spec.jobTemplate.spec.template.spec.nodeSelector", "spec.jobTemplate.spec.template.spec.tolerations"}
}

test_preferred_affinity_alone_fails if {
	pref := [{"weight": 1, "preference": {"matchExpressions": [{"key": "dxguard.io/node-pool", "operator": "In", "values": ["clinical"]}]}}]
	spec := object.union(object.remove(fx.clinical_spec, ["nodeSelector"]), {"affinity": {"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": pref}}})
	fx.failed_paths(run([fx.pod("p", spec)])) == {"spec.nodeSelector"}
}

test_research_workloads_are_not_examined if {
	d := object.union(fx.deployment("d", {"containers": [fx.good_container]}), {"namespace": "research-ml"})
	count(run([d])) == 0
}

test_passing_pod_spec_is_one_subject if {
	res := run([fx.deployment("d", fx.clinical_spec)])
	fx.passed_paths(res) == {"spec.template.spec"}
	count(res) == 1
}

test_every_missing_node_label_is_named_in_one_subject if {
	selector := {"dxguard.io/node-pool": "clinical", "dxguard.io/zone": "secure"}
	res := results with input as fx.input_of([fx.deployment("d", fx.clinical_spec)])
		with data.dxguard.config as fx.config_with({"clinical_node_selector": selector})
	[r] := res
	r.path == "spec.template.spec.nodeSelector"
	contains(r.message, "dxguard.io/zone=secure")
	not contains(r.message, "dxguard.io/node-pool=clinical")
}
