package dxguard.checks.k8s.unexamined_objects_test

import data.dxguard.checks.k8s.unexamined_objects as check_under_test
import data.lib.fixtures_test as fx

strict := object.union(fx.config, {"parameters": {"unexamined_objects": "fail"}})

rows(resources, config) := r if {
	r := fx.rows(check_under_test.meta, check_under_test.subjects) with input as fx.input_of(resources)
		with data.dxguard.config as config
}

object_of(id, api_version, kind) := {"id": id, "family": "k8s", "kind": kind, "apiVersion": api_version, "name": id, "namespace": "clinical", "object": {"spec": {}}}

test_nothing_is_examined_unless_the_config_asks if {
	count(rows([object_of("x", "example.com/v1", "InferenceJob")], fx.config)) == 0
}

test_an_unknown_custom_resource_fails_when_the_config_asks if {
	res := rows([object_of("x", "example.com/v1", "InferenceJob")], strict)
	fx.failed_paths(res) == {"kind"}
	some r in res
	contains(r.message, "declare its pod spec paths in the config's workloads")
}

test_kubernetes_kinds_known_workloads_and_read_policies_pass if {
	res := rows(
		[
			object_of("cm", "v1", "ConfigMap"),
			object_of("gw", "gateway.networking.k8s.io/v1", "HTTPRoute"),
			object_of("ro", "argoproj.io/v1alpha1", "Rollout"),
			object_of("ray", "ray.io/v1", "RayCluster"),
			object_of("ky", "kyverno.io/v1", "ClusterPolicy"),
			object_of("hpa", "autoscaling/v2", "HorizontalPodAutoscaler"),
		],
		strict,
	)
	{r.resource | some r in res; r.status == "pass"} == {"cm", "gw", "ro", "ray", "ky", "hpa"}
}

test_a_kind_the_config_declares_passes_even_without_pods if {
	declared := object.union(strict, {"workloads": {"example.com": {"Model": [], "InferenceJob": [{"segments": [["spec", "template", "spec"]], "text": ["spec.template.spec"], "labels": null}]}}})
	res := rows([object_of("m", "example.com/v1", "Model"), object_of("j", "example.com/v1", "InferenceJob"), object_of("o", "example.com/v1", "Other")], declared)
	fx.failed_paths(res) == {"kind"}
	{r.resource | some r in res; r.status == "fail"} == {"o"}
}
