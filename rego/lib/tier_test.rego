package lib.tier_test

import data.lib.fixtures_test as fx
import data.lib.tier

tiers := {
	"clinical": {"namespaces": ["clinical", "clinical-*"], "labels": {"dxguard.io/tier": "clinical"}},
	"research": {"namespaces": ["research-*"], "labels": {"dxguard.io/tier": "research"}},
}

test_namespace_by_glob if {
	tier.namespace_tier("clinical-pathology") == "clinical" with data.dxguard.config.tiers as tiers
	tier.namespace_tier("research-ml") == "research" with data.dxguard.config.tiers as tiers
	tier.namespace_tier("default") == "other" with data.dxguard.config.tiers as tiers
	tier.namespace_tier(null) == "other" with data.dxguard.config.tiers as tiers
}

test_namespace_by_label_of_its_namespace_object if {
	ns := fx.resource("ns", "Namespace", {"metadata": {"name": "imaging", "labels": {"dxguard.io/tier": "clinical"}}})
	nsres := object.union(ns, {"name": "imaging", "namespace": null})
	t := tier.namespace_tier("imaging") with data.dxguard.config.tiers as tiers with data.inventory as fx.inventory_of([nsres])
	t == "clinical"

	# the Namespace object is read from the inventory, never from the objects under review
	other := tier.namespace_tier("imaging") with data.dxguard.config.tiers as tiers with input as fx.input_of([nsres])
		with data.inventory as fx.empty_inventory
	other == "other"
}

test_workload_label_and_clinical_precedence if {
	labels := {"dxguard.io/tier": "research"}
	d := object.union(fx.deployment("d", {"containers": []}), {"namespace": "clinical-x", "object": {"metadata": {"labels": labels}}})
	tier.of.d == "clinical" with data.dxguard.config.tiers as tiers with input as fx.input_of([d])
	tier.labels_tier(labels) == "research" with data.dxguard.config.tiers as tiers
}

test_pod_template_labels_count if {
	d := fx.deployment("d", {"containers": []})
	obj := object.union(d.object, {"spec": {"template": {"metadata": {"labels": {"dxguard.io/tier": "research"}}}}})
	res := object.union(d, {"namespace": "default", "object": obj})
	tier.of.d == "research" with data.dxguard.config.tiers as tiers with input as fx.input_of([res])
}

test_tier_without_labels_matches_no_labels if {
	not tier.labels_match("research", {"a": "b"}) with data.dxguard.config.tiers as {"research": {"namespaces": ["r"]}}
}

# tier.of looks each namespace's tier up once; it must agree with resource_tier on every
# combination of namespace tier, own labels, pod template labels and normalized labels.
test_tier_of_agrees_with_resource_tier_on_every_combination if {
	clinical := {"dxguard.io/tier": "clinical"}
	research := {"dxguard.io/tier": "research"}
	nsobj := object.union(fx.resource("nso", "Namespace", {"metadata": {"name": "lab", "labels": research}}), {"name": "lab", "namespace": null})
	resources := [object.union(fx.deployment(id, {"containers": []}), extra) |
		some i, ns in ["clinical-a", "research-b", "lab", "default", null]
		some j, own in [{}, clinical, research]
		some k, normalized in [{}, clinical, research]
		id := sprintf("d%d%d%d", [i, j, k])
		extra := {"namespace": ns, "object": {"metadata": {"labels": own}}, "normalized": {"labels": normalized}}
	]
	inp := fx.input_of(array.concat(resources, [nsobj, {"id": "bare", "family": "vm", "kind": "X"}]))
	inv := fx.inventory_of(inp.resources)
	of := tier.of with data.dxguard.config.tiers as tiers with input as inp with data.inventory as inv
	count(of) == 47
	every res in inp.resources {
		of[res.id] == tier.resource_tier(res) with data.dxguard.config.tiers as tiers with input as inp with data.inventory as inv
	}
	of.d000 == "clinical"
	of.d110 == "clinical"
	of.d120 == "research"
	of.d200 == "research"
	of.d300 == "other"
	of.d302 == "research"
	of.d400 == "other"
	of.d410 == "clinical"
	of.bare == "other"
}
