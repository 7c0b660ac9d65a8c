package dxguard.checks.k8s.api_fields_test

import data.dxguard.checks.k8s.api_fields
import data.lib.check
import data.lib.fixtures_test as fx

# The check's rows, as dxguard.main derives them from its subjects.
results := [check.row(api_fields.meta, s) | some s in api_fields.subjects]

with_api(res, api_version) := object.union(res, {"apiVersion": api_version})

run(resources) := res if {
	res := results with input as fx.input_of(resources)
}

test_known_fields_pass if {
	d := with_api(fx.deployment("d", fx.clinical_spec), "apps/v1")
	fx.statuses(run([d]), "d") == {"pass"}
}

test_misspelled_container_setting_fails_with_the_intended_name if {
	c := object.union(fx.hardened_container, {"securityContext": {"runAsNonroot": true}})
	res := run([with_api(fx.pod("p", {"containers": [c]}), "v1")])
	fx.failed_paths(res) == {"spec.containers[0].securityContext.runAsNonroot"}
	some r in res
	contains(r.message, `did you mean "runAsNonRoot"?`)
}

test_truncated_pod_field_of_cronjob_fails if {
	res := run([with_api(fx.cronjob("cj", {"securityContex": {}, "containers": [fx.good_container]}), "batch/v1")])
	some r in res
	r.path == "spec.jobTemplate.spec.template.spec.securityContex"
	contains(r.message, `"securityContext"`)
}

test_networkpolicy_peer_three_lists_deep if {
	spec := {"podSelector": {}, "ingress": [{"from": [{"namespaceSelector": {"matchExpressions": [{"key": "a", "operator": "In", "valeus": ["x"]}]}}]}]}
	np := with_api(fx.named("np", "NetworkPolicy", "n", "clinical", {"spec": spec}), "networking.k8s.io/v1")
	fx.failed_paths(run([np])) == {"spec.ingress[0].from[0].namespaceSelector.matchExpressions[0].valeus"}
}

test_unrelated_field_gets_no_guess if {
	c := object.union(fx.good_container, {"flavour": "vanilla"})
	res := run([with_api(fx.pod("p", {"containers": [c]}), "v1")])
	some r in res
	endswith(r.message, "remove it or use a field the API defines")
}

test_free_form_maps_are_not_judged if {
	d := with_api(fx.deployment_in("d", "clinical", {"anything-goes": "x"}, {"nodeSelector": {"whatever": "y"}, "containers": [fx.good_container]}), "apps/v1")
	fx.statuses(run([d]), "d") == {"pass"}
}

test_the_pod_spec_of_another_api_version_is_judged_from_the_pod_spec if {
	res := run([with_api(fx.deployment("crd", {"bogus": 1, "containers": [fx.good_container]}), "example.com/v1")])
	fx.failed_paths(res) == {"spec.template.spec.bogus"}
	ok := run([with_api(fx.deployment("old", {"containers": [fx.good_container]}), "extensions/v1beta1")])
	{[r.path, r.status] | some r in ok} == {["spec.template.spec", "pass"]}
}

# -- types ------------------------------------------------------------------------------------

typed_pod(sc, pod) := with_api(fx.pod("p", object.union(pod, {"containers": [object.union(fx.good_container, {"securityContext": sc})]})), "v1")

test_a_quoted_or_numeric_boolean_fails_with_the_type_the_api_expects if {
	some [sc, said] in [
		[{"privileged": "true"}, `the string "true"`],
		[{"privileged": 1}, "the number 1"],
		[{"allowPrivilegeEscalation": "false"}, `the string "false"`],
		[{"runAsNonRoot": "yes"}, `the string "yes"`],
	]
	res := run([typed_pod(sc, {})])
	some r in res
	r.status == "fail"
	r.path == concat(".", ["spec.containers[0].securityContext", object.keys(sc)[_]])
	contains(r.message, said)
	contains(r.message, "the API types it as a boolean")
}

test_a_quoted_uid_and_a_fractional_uid_fail if {
	some v in ["0", 0.5, true]
	res := run([typed_pod({"runAsUser": v}, {})])
	fx.failed_paths(res) == {"spec.containers[0].securityContext.runAsUser"}
}

test_pod_level_host_namespaces_and_sysctls_are_typed if {
	res := run([typed_pod({}, {"hostNetwork": "yes", "securityContext": {"sysctls": [{"name": 7}]}})])
	fx.failed_paths(res) == {"spec.hostNetwork", "spec.securityContext.sysctls[0].name"}
}

test_a_capability_list_written_as_a_string_fails if {
	res := run([typed_pod({"capabilities": {"drop": "ALL", "add": ["NET_BIND_SERVICE", 1]}}, {})])
	fx.failed_paths(res) == {"spec.containers[0].securityContext.capabilities.drop", "spec.containers[0].securityContext.capabilities.add"}
	some r in res
	contains(r.message, "a list whose item [1] is the number 1")
}

test_nulls_integral_numbers_and_quantities_are_accepted if {
	c := object.union(fx.good_container, {
		"securityContext": {"runAsUser": 1000.0, "privileged": null},
		"resources": {"limits": {"cpu": 2, "memory": "1Gi"}},
	})
	res := run([with_api(fx.pod("p", {"containers": [c]}), "v1")])
	fx.statuses(res, "p") == {"pass"}
}

test_a_label_value_that_is_not_a_string_fails if {
	d := with_api(fx.deployment_in("d", "clinical", {"app.kubernetes.io/version": 1.2}, {"containers": [fx.good_container]}), "apps/v1")
	res := run([d])
	some r in res
	r.path == "spec.template.metadata.labels"
	contains(r.message, `a mapping whose value for "app.kubernetes.io/version" is the number 1.2`)
}

test_the_pod_spec_of_a_custom_resource_is_typed if {
	rollout := {"id": "r", "family": "k8s", "kind": "Rollout", "apiVersion": "argoproj.io/v1alpha1", "name": "r", "namespace": "clinical", "object": {"spec": {"template": {"spec": {"hostPID": "true", "containers": [fx.good_container]}}}}}
	fx.failed_paths(run([rollout])) == {"spec.template.spec.hostPID"}
}

test_swapped_and_missing_letters_are_recognised if {
	api_fields.suggestion("hsotPID", "V1PodSpec") == "hostPID"
	api_fields.suggestion("imagePullPolcy", "V1Container") == "imagePullPolicy"
	api_fields.suggestion("serviceAccountNames", "V1PodSpec") == "serviceAccountName"
	not api_fields.suggestion("zzzz", "V1PodSpec")
}

test_every_unknown_field_of_every_section_and_list_item_is_found_once if {
	c0 := fx.good_container
	c1 := object.union(fx.good_container, {
		"resources": {"limit": {"cpu": "1"}},
		"securityContext": {"capabilities": {"dorp": ["ALL"]}},
		"ports": [{"containerPort": 80}, {"containerPort": 81, "hostPrt": 81}],
	})
	affinity := {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
		{"matchExpressions": [{"key": "a", "operator": "In", "values": ["x"]}]},
		{"matchExpressions": [{"key": "a", "operator": "In", "values": ["x"]}, {"key": "b", "operater": "Exists"}]},
	]}}}
	p := object.union(with_api(fx.pod("p", {"containers": [c0, c1], "affinity": affinity}), "v1"), {"object": {"sepc": {}}})
	res := run([p])
	fx.failed_paths(res) == {
		"sepc",
		"spec.containers[1].resources.limit",
		"spec.containers[1].securityContext.capabilities.dorp",
		"spec.containers[1].ports[1].hostPrt",
		"spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[1].matchExpressions[1].operater",
	}
	count(res) == 5
}
