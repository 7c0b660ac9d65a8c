package dxguard.main_test

import data.dxguard.main

pod := {
	"id": "pod-1",
	"family": "k8s",
	"kind": "Pod",
	"apiVersion": "v1",
	"name": "p",
	"namespace": "default",
	"object": {
		"apiVersion": "v1",
		"kind": "Pod",
		"metadata": {"name": "p", "namespace": "default"},
		"spec": {"containers": [{"name": "c", "image": "registry.dx.example/app:1.0", "securityContext": {"privileged": true}}]},
	},
}

test_every_check_is_evaluated_by_default if {
	ids := {r.check | some r in main.results} with input as {"resources": [pod]}
	"DXG-K8S-ISO-001" in ids
	"DXG-K8S-PIN-001" in ids
}

test_a_disabled_check_gives_no_results_but_keeps_its_metadata if {
	ids := {r.check | some r in main.results} with input as {"resources": [pod]}
		with data.dxguard.config.disabled_checks as ["DXG-K8S-ISO-001"]
	not "DXG-K8S-ISO-001" in ids
	"DXG-K8S-PIN-001" in ids
	listed := {m.custom.id | some m in main.checks} with data.dxguard.config.disabled_checks as ["DXG-K8S-ISO-001"]
	"DXG-K8S-ISO-001" in listed
}
