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
#   scope: cluster
#   inventory: [Namespace, NetworkPolicy, namespaces]
#   remediation: "Add a NetworkPolicy with podSelector: {} and policyTypes: [Ingress, Egress] and no ingress or egress rules to each clinical namespace, then allow the flows each workload needs in further policies."
package dxguard.checks.k8s.network_default_deny

import data.lib.check
import data.lib.k8s

meta := check.meta(rego.metadata.chain())

policies(ns) := k8s.objects_in("NetworkPolicy", ns)

# Each clinical namespace, examined once: on its first default-deny policy when it has default
# deny both ways, else on its anchor (no policy at all) or first policy (a direction missing).
subjects contains check.named_subject(where[0], where[1], ns, problem(ns, nps)) if {
	some ns in k8s.clinical_namespaces
	nps := policies(ns)
	where := location(ns, nps)
}

location(ns, nps) := [k8s.namespace_anchor(ns), k8s.namespace_anchor_path(ns)] if {
	count(nps) == 0
} else := [np.id, "spec"] if {
	denies(nps, "Ingress")
	denies(nps, "Egress")
	np := [p | some p in nps; default_deny(p, "Ingress")][0]
} else := [nps[0].id, "spec.policyTypes"]

problem(ns, nps) := sprintf("clinical namespace %q has no NetworkPolicy in the scanned set, so every pod in it accepts and sends any traffic; add a default-deny policy (podSelector: {}, policyTypes: [Ingress, Egress]) to the scan", [ns]) if {
	count(nps) == 0
} else := check.problems([sprintf("clinical namespace %q has no default-deny %s NetworkPolicy; add one with podSelector: {} and policyTypes: [%s] and no %s rules", [ns, lower(direction), direction, lower(direction)]) |
	some direction in ["Ingress", "Egress"]
	not denies(nps, direction)
])

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
