# METADATA
# title: Clinical namespaces deny network traffic by default
# description: |
#   Pods accept traffic from anywhere and send it anywhere until a NetworkPolicy selects them.
#   Each clinical namespace the scan names must hold a default-deny policy for ingress and for
#   egress (podSelector {} with the policy type and no rules of that type; one policy or two),
#   so that only explicitly allowed flows exist. NetworkPolicies are looked up by namespace.
#   A clinical namespace without any NetworkPolicy in the scanned set fails on its Namespace
#   object or first workload (evidence missing), never passes silently.
# scope: package
# custom:
#   id: DXG-K8S-ISO-013
#   family: isolation
#   severity: high
#   targets:
#     k8s: [NetworkPolicy, Namespace]
#   remediation: "Add a NetworkPolicy with podSelector: {} and policyTypes: [Ingress, Egress] and no ingress or egress rules to each clinical namespace, then allow the flows each workload needs in further policies."
package dxguard.checks.k8s.network_default_deny

import data.lib.check
import data.lib.k8s

meta := check.meta(rego.metadata.chain())

policies(ns) := k8s.objects_in("NetworkPolicy", ns)

results contains check.fail_subject(m, k8s.namespace_anchor(ns), k8s.namespace_anchor_path(ns), ns, msg) if {
	m := meta
	some ns in k8s.clinical_namespaces
	count(policies(ns)) == 0
	msg := sprintf("clinical namespace %q has no NetworkPolicy in the scanned set, so every pod in it accepts and sends any traffic; add a default-deny policy (podSelector: {}, policyTypes: [Ingress, Egress]) to the scan", [ns])
}

results contains check.fail_subject(m, first.id, "spec.policyTypes", ns, msg) if {
	m := meta
	some ns in k8s.clinical_namespaces
	nps := policies(ns)
	count(nps) > 0
	some direction in ["Ingress", "Egress"]
	not denies(nps, direction)
	first := nps[0]
	msg := sprintf("clinical namespace %q has no default-deny %s NetworkPolicy; add one with podSelector: {} and policyTypes: [%s] and no %s rules", [ns, lower(direction), direction, lower(direction)])
}

results contains check.pass_subject(m, np.id, "spec", ns) if {
	m := meta
	some ns in k8s.clinical_namespaces
	nps := policies(ns)
	denies(nps, "Ingress")
	denies(nps, "Egress")
	np := [p | some p in nps; default_deny(p, "Ingress")][0]
}

denies(nps, direction) if {
	some np in nps
	default_deny(np, direction)
}

# A policy that selects every pod, has the direction among its types and no rule for it.
default_deny(np, direction) if {
	spec := k8s.obj_at(np, ["object", "spec"])
	k8s.selects_all(object.get(spec, "podSelector", {}))
	direction in policy_types(spec)
	count(k8s.arr(object.get(spec, lower(direction), []))) == 0
}

# policyTypes, or the API's default: Ingress, plus Egress when the policy has egress rules.
policy_types(spec) := spec.policyTypes if is_array(spec.policyTypes)

else := ["Ingress", "Egress"] if count(k8s.arr_at(spec, ["egress"])) > 0

else := ["Ingress"]
