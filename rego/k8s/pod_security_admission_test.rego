package dxguard.checks.k8s.pod_security_admission_test

import data.dxguard.checks.k8s.pod_security_admission
import data.lib.fixtures_test as fx

run(resources) := res if {
	res := pod_security_admission.results with input as fx.input_of(resources) with data.dxguard.config as fx.config
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
