package dxguard.checks.k8s.network_research_ingress_test

import data.dxguard.checks.k8s.network_research_ingress
import data.lib.fixtures_test as fx

np(ingress) := fx.named("np", "NetworkPolicy", "allow", "clinical", {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "spec": {"podSelector": {}, "ingress": ingress}})

# An object check: it judges the NetworkPolicies under review (the first resource), and reads the
# namespaces (all the resources) from the inventory.
run(resources) := res if {
	res := fx.rows(network_research_ingress.meta, network_research_ingress.subjects) with input as fx.input_of([resources[0]])
		with data.inventory as fx.inventory_of(resources)
		with data.dxguard.config as fx.config
}

test_same_namespace_and_clinical_sources_pass if {
	ingress := [{"from": [{"podSelector": {"matchLabels": {"app": "gw"}}}, {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "clinical-gateway"}}}]}]
	fx.statuses(run([np(ingress)]), "np") == {"pass"}
}

test_rule_without_sources_fails if {
	fx.failed_paths(run([np([{"ports": [{"port": 8443}]}])])) == {"spec.ingress[0]"}
}

test_all_namespaces_selector_fails if {
	fx.failed_paths(run([np([{"from": [{"namespaceSelector": {}}]}])])) == {"spec.ingress[0].from[0].namespaceSelector"}
}

test_research_tier_label_selector_fails if {
	ingress := [{"from": [{"namespaceSelector": {"matchLabels": {"dxguard.io/tier": "research"}}}]}]
	fx.statuses(run([np(ingress)]), "np") == {"fail"}
}

test_selector_matching_a_scanned_research_namespace_fails if {
	ingress := [{"from": [{"namespaceSelector": {"matchExpressions": [{"key": "team", "operator": "In", "values": ["ml"]}]}}]}]
	research := fx.namespace("ns", "research-ml", {"team": "ml"})
	fx.statuses(run([np(ingress), research]), "np") == {"fail"}
}

test_not_in_selector_that_excludes_research_passes if {
	ingress := [{"from": [{"namespaceSelector": {"matchLabels": {"dxguard.io/tier": "clinical"}, "matchExpressions": [{"key": "dxguard.io/tier", "operator": "NotIn", "values": ["research"]}]}}]}]
	fx.statuses(run([np(ingress), fx.namespace("ns", "research-ml", {})]), "np") == {"pass"}
}

test_a_policy_in_a_namespace_labelled_clinical_is_examined if {
	ns := fx.namespace("ns", "imaging", {"dxguard.io/tier": "clinical"})
	policy := object.union(np([{"ports": [{"port": 8443}]}]), {"namespace": "imaging"})
	fx.failed_paths(run([policy, ns])) == {"spec.ingress[0]"}
	count(run([policy])) == 0
}

test_policies_outside_clinical_namespaces_are_not_examined if {
	count(run([object.union(np([{}]), {"namespace": "research-ml"})])) == 0
}
