package dxguard.main_test

import data.dxguard.main
import data.lib.fixtures_test as fx

# A privileged Pod in a clinical namespace without NetworkPolicies: the object check
# DXG-K8S-ISO-001 (privileged) fails it, the cluster check DXG-K8S-ISO-013
# (network_default_deny) fails the namespace.
pod := fx.named("pod-1", "Pod", "p", "clinical", {
	"apiVersion": "v1",
	"kind": "Pod",
	"metadata": {"name": "p", "namespace": "clinical"},
	"spec": {"containers": [{"name": "c", "image": "registry.dx.example/app:1.0", "securityContext": {"privileged": true}}]},
})

namespace := fx.namespace("ns-1", "clinical", {})

# Another workload of the cluster, in the inventory but not under review.
other := fx.deployment_in("other", "clinical", {}, {"containers": [{"name": "c", "image": "x", "securityContext": {"privileged": true}}]})

inventory := fx.inventory_of([pod, namespace, other])

object_rows(disabled) := rows if {
	rows := main.object_results with input as fx.input_of([pod])
		with data.inventory as inventory
		with data.dxguard.config as object.union(fx.config, {"disabled_checks": disabled})
}

# Cluster checks are evaluated with no objects in the input.
cluster_rows(disabled) := rows if {
	rows := main.cluster_results with data.inventory as inventory
		with data.dxguard.config as object.union(fx.config, {"disabled_checks": disabled})
}

scope_of := {m.custom.id: m.custom.scope | some m in main.checks}

test_every_check_declares_an_object_or_cluster_scope if {
	count(main.checks) > 0
	every m in main.checks {
		m.custom.scope in {"object", "cluster"}
	}
}

test_object_results_judge_the_objects_under_review if {
	rows := object_rows([])
	some r in rows
	r == {
		"check": "DXG-K8S-ISO-001", "resource": "pod-1", "path": "spec.containers[0].securityContext.privileged",
		"status": "fail", "message": `container "c" runs privileged; set securityContext.privileged to false`,
	}

	# only the objects under review are named, never the other objects of the inventory
	{r.resource | some r in rows} == {"pod-1"}
}

test_cluster_results_judge_the_inventory_without_input if {
	rows := cluster_rows([])
	some r in rows
	r.check == "DXG-K8S-ISO-013"
	r.resource == "ns-1"
	r.subject == "clinical"
	r.status == "fail"
	contains(r.message, "no NetworkPolicy in the scanned set")
}

test_a_cluster_check_never_runs_in_object_results if {
	rows := object_rows([])
	count(rows) > 0
	not "DXG-K8S-ISO-013" in {r.check | some r in rows}
	every r in rows {
		scope_of[r.check] == "object"
	}
}

test_an_object_check_never_runs_in_cluster_results if {
	# even with objects in the input, cluster_results holds only cluster checks
	rows := main.cluster_results with input as fx.input_of([pod]) with data.inventory as inventory with data.dxguard.config as fx.config
	count(rows) > 0
	not "DXG-K8S-ISO-001" in {r.check | some r in rows}
	every r in rows {
		scope_of[r.check] == "cluster"
	}
}

test_a_disabled_check_gives_no_rows_but_keeps_its_metadata if {
	off := ["DXG-K8S-ISO-001", "DXG-K8S-ISO-013"]
	not "DXG-K8S-ISO-001" in {r.check | some r in object_rows(off)}
	not "DXG-K8S-ISO-013" in {r.check | some r in cluster_rows(off)}
	"DXG-K8S-ISO-001" in {r.check | some r in object_rows(["DXG-K8S-ISO-013"])}
	"DXG-K8S-ISO-013" in {r.check | some r in cluster_rows(["DXG-K8S-ISO-001"])}
	listed := {m.custom.id | some m in main.checks} with data.dxguard.config as object.union(fx.config, {"disabled_checks": off})
	{"DXG-K8S-ISO-001", "DXG-K8S-ISO-013"} & listed == {"DXG-K8S-ISO-001", "DXG-K8S-ISO-013"}
}

# One status per subject: no (check, resource, path, subject) twice in either result.
test_every_subject_has_one_row if {
	every rows in [object_rows([]), cluster_rows([])] {
		ids := [[r.check, r.resource, r.path, object.get(r, "subject", "")] | some r in rows]
		count(ids) == count({id | some id in ids})
	}
}

test_a_pass_row_has_no_message_and_a_fail_row_has_one if {
	every r in array.concat(object_rows([]), cluster_rows([])) {
		r.status in {"pass", "fail"}
		(r.status == "fail") == object.get(r, "message", "") != ""
	}
}
