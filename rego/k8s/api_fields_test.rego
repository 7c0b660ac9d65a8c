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

test_free_form_maps_and_other_api_versions_are_not_judged if {
	d := with_api(fx.deployment_in("d", "clinical", {"anything-goes": "x"}, {"nodeSelector": {"whatever": "y"}, "containers": [fx.good_container]}), "apps/v1")
	fx.statuses(run([d]), "d") == {"pass"}
	count(run([with_api(fx.deployment("crd", {"bogus": 1}), "example.com/v1")])) == 0
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
