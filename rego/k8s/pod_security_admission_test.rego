package dxguard.checks.k8s.pod_security_admission_test

import data.dxguard.checks.k8s.pod_security_admission
import data.lib.fixtures_test as fx

# A cluster check: it judges the inventory, with no objects in the input.
run(resources) := res if {
	res := fx.rows(pod_security_admission.meta, pod_security_admission.subjects) with data.inventory as fx.inventory_of(resources)
		with data.dxguard.config as fx.config
}

test_restricted_clinical_namespace_passes if {
	res := run([fx.namespace("ns", "clinical", {"pod-security.kubernetes.io/enforce": "restricted"})])
	res == {{"check": "DXG-K8S-ISO-012", "resource": "ns", "path": "metadata.labels", "status": "pass", "subject": "clinical"}}
}

test_baseline_clinical_namespace_fails if {
	res := run([fx.namespace("ns", "clinical-x", {"pod-security.kubernetes.io/enforce": "baseline"})])
	fx.failed_paths(res) == {"metadata.labels"}
}

test_unlabelled_clinical_namespace_fails if {
	ns := fx.named("ns", "Namespace", "clinical", null, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "clinical"}})
	fx.statuses(run([ns]), "ns") == {"fail"}
}

test_missing_namespace_object_fails_on_the_workload if {
	res := run([fx.deployment("d", {"containers": [fx.good_container]})])
	some r in res
	r.resource == "d"
	r.path == "metadata.namespace"
	r.subject == "clinical"
	contains(r.message, "no Namespace object in the scanned set")
}

test_research_namespace_is_not_examined if {
	count(run([fx.namespace("ns", "research-ml", {})])) == 0
}

test_each_namespace_object_of_a_clinical_namespace_is_one_subject if {
	a := fx.namespace("a", "clinical", {"pod-security.kubernetes.io/enforce": "restricted"})
	b := fx.namespace("b", "clinical", {})
	res := run([a, b, fx.deployment("d", {"containers": [fx.good_container]})])
	{[r.resource, r.status] | some r in res} == {["a", "pass"], ["b", "fail"]}
	subjects := pod_security_admission.subjects with data.inventory as fx.inventory_of([a, b]) with data.dxguard.config as fx.config
	count(fx.duplicate_subjects(subjects)) == 0
}
