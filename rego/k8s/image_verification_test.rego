package dxguard.checks.k8s.image_verification_test

import data.dxguard.checks.k8s.image_verification
import data.lib.fixtures_test as fx

kyverno(id, kind, ns, spec) := object.union(
	fx.named(id, kind, "verify", ns, {"apiVersion": "kyverno.io/v1", "kind": kind, "spec": spec}),
	{"apiVersion": "kyverno.io/v1"},
)

verify := [{"imageReferences": ["registry.example/*"], "attestors": [{"entries": [{"keys": {"publicKeys": "-----BEGIN PUBLIC KEY-----"}}]}]}]

rule(match) := {"name": "verify-signatures", "match": match, "verifyImages": verify}

pods_in(namespaces) := {"any": [{"resources": {"kinds": ["Pod"], "namespaces": namespaces}}]}

# A cluster check: it judges the inventory, with no objects in the input.
run(resources) := res if {
	res := fx.rows(image_verification.meta, image_verification.subjects) with data.inventory as fx.inventory_of(resources)
		with data.dxguard.config as fx.config
}

workload := fx.deployment("d", fx.clinical_spec)

test_enforcing_cluster_policy_covers_the_namespace if {
	p := kyverno("p", "ClusterPolicy", null, {"validationFailureAction": "Enforce", "rules": [rule(pods_in(["clinical*"]))]})
	res := run([workload, p])
	res == {{"check": "DXG-K8S-SCN-001", "resource": "p", "path": "spec.rules[0].verifyImages", "status": "pass", "subject": "clinical"}}
}

test_rule_level_failure_action_overrides_audit if {
	v := [object.union(verify[0], {"failureAction": "Enforce"})]
	p := kyverno("p", "ClusterPolicy", null, {"rules": [{"name": "v", "match": pods_in([]), "verifyImages": v}]})
	fx.statuses(run([workload, p]), "p") == {"pass"}
}

test_audit_mode_does_not_count if {
	p := kyverno("p", "ClusterPolicy", null, {"validationFailureAction": "Audit", "rules": [rule(pods_in([]))]})
	res := run([workload, p])
	fx.statuses(res, "d") == {"fail"}
	some r in res
	r.path == "metadata.namespace"
}

test_fail_open_webhook_does_not_count if {
	p := kyverno("p", "ClusterPolicy", null, {"validationFailureAction": "Enforce", "failurePolicy": "Ignore", "rules": [rule(pods_in([]))]})
	fx.statuses(run([workload, p]), "d") == {"fail"}
}

test_excluded_namespace_is_not_covered if {
	r := object.union(rule(pods_in([])), {"exclude": {"any": [{"resources": {"namespaces": ["clinical"]}}]}})
	p := kyverno("p", "ClusterPolicy", null, {"validationFailureAction": "Enforce", "rules": [r]})
	fx.statuses(run([workload, p]), "d") == {"fail"}
}

test_namespace_selector_and_namespaced_policy if {
	sel := {"any": [{"resources": {"kinds": ["Pod"], "namespaceSelector": {"matchLabels": {"dxguard.io/tier": "clinical"}}}}]}
	ns := fx.namespace("ns", "clinical", {"dxguard.io/tier": "clinical"})
	cp := kyverno("p", "ClusterPolicy", null, {"validationFailureAction": "Enforce", "rules": [rule(sel)]})
	fx.statuses(run([ns, cp]), "p") == {"pass"}
	np := kyverno("np", "Policy", "clinical", {"validationFailureAction": "Enforce", "rules": [rule({"resources": {"kinds": ["Pod"]}})]})
	fx.statuses(run([workload, np]), "np") == {"pass"}
}

test_sigstore_policy_needs_the_namespace_label if {
	cip := object.union(
		fx.named("cip", "ClusterImagePolicy", "signed", null, {"apiVersion": "policy.sigstore.dev/v1beta1", "kind": "ClusterImagePolicy", "spec": {"images": [{"glob": "registry.example/**"}], "authorities": [{"keyless": {}}]}}),
		{"apiVersion": "policy.sigstore.dev/v1beta1"},
	)
	included := fx.namespace("ns", "clinical", {"policy.sigstore.dev/include": "true"})
	fx.statuses(run([included, cip]), "cip") == {"pass"}
	fx.statuses(run([fx.namespace("ns", "clinical", {}), cip]), "ns") == {"fail"}
}

test_a_namespace_covered_by_two_policies_is_one_subject if {
	a := kyverno("a", "ClusterPolicy", null, {"validationFailureAction": "Enforce", "rules": [rule(pods_in([]))]})
	b := object.union(kyverno("b", "ClusterPolicy", null, {"validationFailureAction": "Enforce", "rules": [rule(pods_in([]))]}), {"name": "verify-b"})
	res := run([workload, a, b])
	res == {{"check": "DXG-K8S-SCN-001", "resource": "a", "path": "spec.rules[0].verifyImages", "status": "pass", "subject": "clinical"}}
}
