package dxguard.checks.k8s.network_default_deny_test

import data.dxguard.checks.k8s.network_default_deny
import data.lib.fixtures_test as fx

np(id, spec) := fx.named(id, "NetworkPolicy", id, "clinical", {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "spec": spec})

# A cluster check: it judges the inventory, with no objects in the input.
run(resources) := res if {
	res := fx.rows(network_default_deny.meta, network_default_deny.subjects) with data.inventory as fx.inventory_of(resources)
		with data.dxguard.config as fx.config
}

workload := fx.deployment("d", {"containers": [fx.good_container]})

test_one_policy_denying_both_directions_passes if {
	res := run([workload, np("deny", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]})])
	res == {{"check": "DXG-K8S-ISO-013", "resource": "deny", "path": "spec", "status": "pass", "subject": "clinical"}}
}

test_two_policies_deny_together if {
	res := run([np("a", {"podSelector": {}, "policyTypes": ["Ingress"]}), np("b", {"podSelector": {}, "policyTypes": ["Egress"]})])
	{r.status | some r in res} == {"pass"}
}

test_no_policy_fails_on_the_first_workload if {
	res := run([workload])
	some r in res
	r.resource == "d"
	r.status == "fail"
	contains(r.message, "no NetworkPolicy in the scanned set")
}

test_ingress_only_default_fails_for_egress if {
	res := run([np("a", {"podSelector": {}})])
	some r in res
	r.path == "spec.policyTypes"
	contains(r.message, "default-deny egress")
}

test_both_directions_missing_is_one_failure_with_both_problems if {
	res := run([np("a", {"podSelector": {"matchLabels": {"app": "x"}}})])
	count(res) == 1
	some r in res
	contains(r.message, "default-deny ingress NetworkPolicy; add one with podSelector: {} and policyTypes: [Ingress] and no ingress rules; clinical namespace")
	contains(r.message, "default-deny egress")
}

test_the_first_policy_by_id_is_the_subject if {
	deny_b := object.union(np("b", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}), {"name": "a-name"})
	deny_c := object.union(np("c", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}), {"name": "0-name"})
	{r.resource | some r in run([deny_c, deny_b])} == {"b"}
}

test_policy_with_rules_or_selector_is_not_default_deny if {
	selected := np("a", {"podSelector": {"matchLabels": {"app": "x"}}, "policyTypes": ["Ingress", "Egress"]})
	allow_all := np("b", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"], "ingress": [{}], "egress": [{}]})
	{r.status | some r in run([selected, allow_all])} == {"fail"}
}
