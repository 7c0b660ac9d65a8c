package dxguard.checks.k8s.required_labels_test

import data.dxguard.checks.k8s.required_labels
import data.lib.check
import data.lib.fixtures_test as fx

# The check's rows, as dxguard.main derives them from its subjects.
results := [check.row(required_labels.meta, s) | some s in required_labels.subjects]

run(resources) := res if {
	res := results with input as fx.input_of(resources) with data.dxguard.config as fx.config
}

test_labelled_clinical_workload_passes if {
	fx.statuses(run([fx.deployment_in("d", "clinical", fx.clinical_labels, fx.clinical_spec)]), "d") == {"pass"}
}

test_missing_udi_fails_naming_it if {
	labels := object.remove(fx.clinical_labels, ["dxguard.io/udi-di"])
	res := run([fx.deployment_in("d", "clinical", labels, fx.clinical_spec)])
	fx.failed_paths(res) == {"metadata.labels"}
	some r in res
	contains(r.message, "dxguard.io/udi-di")
	not contains(r.message, "model-version")
}

test_cronjob_pod_template_labels_count if {
	cj := fx.cronjob("cj", fx.clinical_spec)
	obj := object.union(cj.object, {"spec": {"jobTemplate": {"spec": {"template": {"metadata": {"labels": fx.clinical_labels}}}}}})
	fx.statuses(run([object.union(cj, {"object": obj})]), "cj") == {"pass"}
}

test_empty_value_fails if {
	labels := object.union(fx.clinical_labels, {"app.kubernetes.io/version": ""})
	fx.statuses(run([fx.deployment_in("d", "clinical", labels, fx.clinical_spec)]), "d") == {"fail"}
}

test_namespace_labelled_clinical_in_the_inventory_makes_its_workloads_clinical if {
	ns := fx.namespace("ns", "pathology", {"dxguard.io/tier": "clinical"})
	d := fx.deployment_in("d", "pathology", {"app": "viewer"}, fx.clinical_spec)
	res := results with input as fx.input_of([d])
		with data.dxguard.config as fx.config
		with data.inventory as {"k8s": {"Namespace": {"": {"pathology": [ns]}}}}
	fx.failed_paths(res) == {"metadata.labels"}
	count(run([d])) == 0
}
