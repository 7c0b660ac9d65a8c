package dxguard.checks.k8s.network_default_deny_test

import data.dxguard.checks.k8s.network_default_deny
import data.lib.fixtures_test as fx

np(id, spec) := fx.named(id, "NetworkPolicy", id, "clinical", {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "spec": spec})

run(resources) := res if {
	res := network_default_deny.results with input as fx.input_of(resources) with data.dxguard.config as fx.config
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

test_policy_with_rules_or_selector_is_not_default_deny if {
	selected := np("a", {"podSelector": {"matchLabels": {"app": "x"}}, "policyTypes": ["Ingress", "Egress"]})
	allow_all := np("b", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"], "ingress": [{}], "egress": [{}]})
	{r.status | some r in run([selected, allow_all])} == {"fail"}
}
