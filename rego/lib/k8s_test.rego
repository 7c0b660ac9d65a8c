package lib.k8s_test

import data.lib.fixtures_test as fx
import data.lib.k8s

test_containers_of_every_list_and_kind if {
	spec := {
		"initContainers": [{"name": "i", "image": "x"}],
		"containers": [{"name": "c", "image": "x"}],
		"ephemeralContainers": [{"name": "e", "image": "x"}],
	}
	paths := {c.path | some c in k8s.containers} with input as fx.input_of([
		fx.deployment("d", spec),
		fx.cronjob("cj", spec),
	])
	paths == {
		"spec.template.spec.initContainers[0]",
		"spec.template.spec.containers[0]",
		"spec.template.spec.ephemeralContainers[0]",
		"spec.jobTemplate.spec.template.spec.initContainers[0]",
		"spec.jobTemplate.spec.template.spec.containers[0]",
		"spec.jobTemplate.spec.template.spec.ephemeralContainers[0]",
	}
}

test_containers_carry_their_message_label if {
	spec := {
		"initContainers": [{"name": "i", "image": "x"}],
		"containers": [{"image": "x"}],
		"ephemeralContainers": [{"name": "e", "image": "x"}],
	}
	cs := k8s.containers with input as fx.input_of([fx.deployment("d", spec)])
	{c.label | some c in cs} == {`init container "i"`, `container "?"`, `ephemeral container "e"`}
	every c in cs {
		k8s.container_label(object.remove(c, ["label"])) == c.label
	}
}

test_non_workload_kinds_have_no_pod_spec if {
	count(k8s.pod_specs) == 0 with input as fx.input_of([fx.resource("cm", "ConfigMap", {"data": {"spec": {}}})])
}

test_container_setting_overrides_pod_setting if {
	entry := {
		"container": {"securityContext": {"runAsNonRoot": false}},
		"pod_spec": {"spec": {"securityContext": {"runAsNonRoot": true}}},
	}
	k8s.effective_security(entry, "runAsNonRoot", null) == false
}

test_pod_setting_is_inherited if {
	entry := {"container": {}, "pod_spec": {"spec": {"securityContext": {"runAsUser": 0}}}}
	k8s.effective_security(entry, "runAsUser", null) == 0
}

test_fallback_when_nothing_is_set if {
	entry := {"container": {}, "pod_spec": {"spec": {}}}
	k8s.effective_security(entry, "runAsNonRoot", "unset") == "unset"
}

test_privileged_is_never_inherited_from_the_pod if {
	entry := {"container": {}, "pod_spec": {"spec": {"securityContext": {"privileged": true}}}}
	k8s.effective_security(entry, "privileged", "unset") == "unset"
}

# root_problem reads both effective settings inline; it must agree with effective_security.
test_root_problem_follows_the_effective_settings if {
	settings := [{}, {"runAsUser": 0}, {"runAsUser": 1000}, {"runAsUser": null}, {"runAsNonRoot": true}, {"runAsNonRoot": false}, {"runAsUser": 0, "runAsNonRoot": true}]
	entries := [{"container": c, "pod_spec": {"spec": p}} |
		some own in settings
		some pod in settings
		c := {"securityContext": own}
		p := {"securityContext": pod}
	]
	every e in array.concat(entries, [{"container": {}, "pod_spec": {"spec": {}}}, {"container": {"securityContext": "x"}, "pod_spec": {"spec": {"securityContext": ["y"]}}}]) {
		root_field(e) == expected_root_field(e)
	}
}

root_field(e) := f if {
	f := k8s.root_problem(e).field
} else := "none"

expected_root_field(e) := "runAsUser" if {
	k8s.effective_security(e, "runAsUser", null) == 0
} else := "runAsNonRoot" if {
	not k8s.effective_security(e, "runAsNonRoot", false) == true
} else := "none"

test_effective_path_points_at_the_source_of_the_value if {
	entry := {"path": "spec.containers[0]", "container": {}, "pod_spec": {"path": "spec", "spec": {"securityContext": {"seccompProfile": {}}}}}
	k8s.effective_security_path(entry, "seccompProfile") == "spec.securityContext.seccompProfile"
	k8s.effective_security_path(entry, "capabilities") == "spec.containers[0].securityContext.capabilities"
}

test_flags_in_every_spelling_last_one_wins if {
	args := [{"arg": a, "path": sprintf("c[%d]", [i])} | some i, a in ["--a=1", "--b", "2", "--c", "--a=3", "--d=x=y"]]
	fl := k8s.flags(args)
	fl.a == {"value": "3", "path": "c[4]"}
	fl.b.value == "2"
	fl.c.value == "true"
	fl.d.value == "x=y"
}

test_selector_expressions if {
	labels := {"tier": "clinical", "team": "path"}
	k8s.selector_matches({"matchLabels": {"tier": "clinical"}, "matchExpressions": [{"key": "team", "operator": "In", "values": ["path"]}]}, labels)
	k8s.selector_matches({"matchExpressions": [{"key": "x", "operator": "DoesNotExist"}, {"key": "x", "operator": "NotIn", "values": ["1"]}, {"key": "team", "operator": "Exists"}]}, labels)
	not k8s.selector_matches({"matchExpressions": [{"key": "team", "operator": "NotIn", "values": ["path"]}]}, labels)
	k8s.selects_all({})
	not k8s.selects_all({"matchLabels": {"a": "b"}})
}

test_arr_at_and_obj_at_read_a_path_or_give_an_empty_value if {
	k8s.arr_at({"a": {"b": [1]}}, ["a", "b"]) == [1]
	k8s.arr_at({"a": {"b": {"c": 1}}}, ["a", "b"]) == []
	k8s.arr_at({}, ["a", "b"]) == []
	k8s.arr_at({"a": null}, ["a"]) == []
	k8s.obj_at({"a": {"b": {"c": 1}}}, ["a", "b"]) == {"c": 1}
	k8s.obj_at({"a": {"b": [1]}}, ["a", "b"]) == {}
	k8s.obj_at({}, ["a"]) == {}
	not k8s.arr_at(input.x, ["a"]) with input as {"x": "s"}
	not k8s.obj_at(input.x, ["a"]) with input as {"x": ["s"]}
}

test_lookup_and_objects_in_find_objects_by_kind_namespace_and_name_in_the_inventory if {
	inv := fx.inventory_of([
		fx.named("b", "ServiceAccount", "sa", "ns1", {}),
		fx.named("a", "ServiceAccount", "sa", "ns1", {}),
		fx.named("c", "ServiceAccount", "sa", "ns2", {}),
		fx.named("d", "RuntimeClass", "gvisor", null, {}),
		object.remove(fx.named("e", "ClusterRole", "view", null, {}), ["namespace"]),
		fx.named("f", "NetworkPolicy", "np", "ns1", {}),
		fx.named("g", "NetworkPolicy", "a-first-by-name", "ns1", {}),
	])
	[r.id | some r in k8s.lookup("ServiceAccount", "ns1", "sa")] == ["a", "b"] with data.inventory as inv
	[r.id | some r in k8s.lookup("RuntimeClass", "", "gvisor")] == ["d"] with data.inventory as inv
	[r.id | some r in k8s.lookup("RuntimeClass", null, "gvisor")] == ["d"] with data.inventory as inv
	[r.id | some r in k8s.lookup("ClusterRole", "", "view")] == ["e"] with data.inventory as inv
	count(k8s.lookup("ServiceAccount", "ns3", "sa")) == 0 with data.inventory as inv
	[r.id | some r in k8s.objects_in("ServiceAccount", "ns1")] == ["a", "b"] with data.inventory as inv

	# in the order of their ids, whatever their names
	[r.id | some r in k8s.objects_in("NetworkPolicy", "ns1")] == ["f", "g"] with data.inventory as inv
	count(k8s.objects_in("NetworkPolicy", "ns2")) == 0 with data.inventory as inv
	{r.id | some r in k8s.of_kind("ServiceAccount")} == {"a", "b", "c"} with data.inventory as inv
	count(k8s.of_kind("Secret")) == 0 with data.inventory as inv
}

# Lookups never read the objects under review: an object only in the input is not found.
test_lookups_read_the_inventory_not_the_input if {
	sa := fx.named("a", "ServiceAccount", "sa", "ns1", {})
	count(k8s.lookup("ServiceAccount", "ns1", "sa")) == 0 with input as fx.input_of([sa]) with data.inventory as fx.empty_inventory
	count(k8s.objects_in("ServiceAccount", "ns1")) == 0 with input as fx.input_of([sa]) with data.inventory as fx.empty_inventory
	k8s.by_id.a == sa with input as fx.input_of([sa]) with data.inventory as fx.empty_inventory
}

test_namespaces_anchors_and_tiers_come_from_the_inventory if {
	inv := fx.inventory_of([
		fx.namespace("ns-obj", "imaging", {"dxguard.io/tier": "clinical"}),
		fx.deployment_in("w2", "clinical-a", {}, {"containers": []}),
		fx.deployment_in("w1", "clinical-a", {}, {"containers": []}),
		fx.named("cm", "ConfigMap", "c", "clinical-b", {}),
		fx.deployment_in("r", "research-ml", {}, {"containers": []}),
	])
	k8s.namespaces == {"imaging", "clinical-a", "clinical-b", "research-ml"} with data.inventory as inv
	k8s.clinical_namespaces == {"imaging", "clinical-a", "clinical-b"} with data.inventory as inv with data.dxguard.config as fx.config
	k8s.research_namespaces == {"research-ml"} with data.inventory as inv with data.dxguard.config as fx.config
	k8s.namespace_anchor("imaging") == "ns-obj" with data.inventory as inv
	k8s.namespace_anchor_path("imaging") == "metadata.name" with data.inventory as inv
	k8s.namespace_anchor("clinical-a") == "w1" with data.inventory as inv
	k8s.namespace_anchor_path("clinical-a") == "metadata.namespace" with data.inventory as inv
	k8s.namespace_anchor("clinical-b") == "cm" with data.inventory as inv
	k8s.namespace_labels("imaging") == {"dxguard.io/tier": "clinical", "kubernetes.io/metadata.name": "imaging"} with data.inventory as inv
	k8s.clinical_workloads == {"w1", "w2"} with data.inventory as inv with data.dxguard.config as fx.config
	k8s.clinical_anchor == "w1" with data.inventory as inv with data.dxguard.config as fx.config
	k8s.cluster_evidence_required with data.inventory as inv with data.dxguard.config as fx.config
	not k8s.cluster_evidence_required with data.inventory as inv with data.dxguard.config as fx.config_with({"cluster_evidence": "when-present"})
}

test_clinical_workloads_by_pod_template_labels_outside_exempt_namespaces if {
	labels := {"dxguard.io/tier": "clinical"}
	inv := fx.inventory_of([
		fx.deployment_in("lab", "default", labels, {"containers": []}),
		fx.deployment_in("sys", "kube-system", labels, {"containers": []}),
		fx.deployment_in("plain", "default", {}, {"containers": []}),
	])
	k8s.clinical_workloads == {"lab"} with data.inventory as inv with data.dxguard.config as fx.config
}

test_apiservers_are_the_kube_apiserver_containers_of_inventory_pods if {
	sidecar := fx.named("p", "Pod", "p", "kube-system", {"spec": {"containers": [
		{"name": "log", "image": "x", "command": ["/bin/sh"]},
		{"name": "api", "image": "x", "command": ["/usr/local/bin/kube-apiserver", "--v=2"]},
		{"name": "kube-apiserver", "image": "x", "args": ["--v=2"]},
	]}})
	deployment := fx.deployment("d", {"containers": [{"name": "kube-apiserver", "image": "x"}]})
	inv := fx.inventory_of([fx.apiserver("api", fx.audit_flags), sidecar, deployment])
	{[c.resource, c.path, c.label] | some c in k8s.apiservers} == {
		["api", "spec.containers[0]", `container "kube-apiserver"`],
		["p", "spec.containers[1]", `container "api"`],
		["p", "spec.containers[2]", `container "kube-apiserver"`],
	} with data.inventory as inv
	count(k8s.apiservers) == 0 with input as fx.input_of([fx.apiserver("api", fx.audit_flags)]) with data.inventory as fx.empty_inventory
}

test_tolerations_as_the_scheduler_matches_them if {
	taint := {"key": "pool", "value": "clinical", "effect": "NoSchedule"}
	k8s.toleration_of({"tolerations": [{"key": "other", "operator": "Exists"}, {"operator": "Exists"}]}, taint) == 1
	k8s.toleration_of({"tolerations": [{"key": "pool", "value": "clinical"}]}, taint) == 0
	not k8s.toleration_of({"tolerations": [{"key": "pool", "value": "research"}]}, taint)
	not k8s.toleration_of({"tolerations": [{"key": "pool", "operator": "Exists", "effect": "NoExecute"}]}, taint)
}
