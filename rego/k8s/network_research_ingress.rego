# METADATA
# title: No ingress from research into clinical namespaces
# description: |
#   Research workloads run unvalidated code and must not reach clinical ones. Every
#   NetworkPolicy in a clinical namespace is examined: an ingress rule without sources admits
#   every namespace, and a namespaceSelector that selects a research namespace (by the labels of
#   the research Namespace objects in the scan, the kubernetes.io/metadata.name label, or the
#   research tier labels of the config) admits research traffic. Both fail. ipBlock sources are
#   not judged here.
# scope: package
# custom:
#   id: DXG-K8S-ISO-014
#   family: isolation
#   severity: high
#   targets:
#     k8s: [NetworkPolicy]
#   scope: object
#   inventory: [Namespace, namespaces]
#   remediation: Give every ingress rule of a clinical NetworkPolicy explicit sources (podSelector in the same namespace, or a namespaceSelector that names clinical or platform namespaces only), never research namespaces or all namespaces.
package dxguard.checks.k8s.network_research_ingress

import data.dxguard.config
import data.lib.check
import data.lib.k8s
import data.lib.tier

meta := check.meta(rego.metadata.chain())

# The NetworkPolicies under review that live in a clinical namespace (the namespace's tier by
# its name, or by its Namespace object's labels in the inventory).
clinical_policies contains np if {
	some np in k8s.resources
	np.kind == "NetworkPolicy"
	tier.namespace_tier(np.namespace) == "clinical"
}

# The label sets research namespaces are known to carry, plus the research tier labels (which
# any research namespace, scanned or not, carries).
research_labels := {k8s.namespace_labels(ns) | some ns in k8s.research_namespaces} | tier_labels

tier_labels := {labels} if {
	labels := object.get(config.tiers, ["research", "labels"], {})
	count(labels) > 0
} else := set()

violation contains [np.id, path, msg] if {
	some np in clinical_policies
	some i, rule in k8s.arr_at(np, ["object", "spec", "ingress"])
	count(k8s.arr(object.get(rule, "from", []))) == 0
	path := sprintf("spec.ingress[%d]", [i])
	msg := sprintf("ingress rule %d of NetworkPolicy %q has no sources, so it admits every namespace including research; list explicit sources in from", [i, np.name])
}

violation contains [np.id, path, msg] if {
	some np in clinical_policies
	some i, rule in k8s.arr_at(np, ["object", "spec", "ingress"])
	some j, peer in k8s.arr(object.get(rule, "from", []))
	selector := peer.namespaceSelector
	admits_research(selector)
	path := sprintf("spec.ingress[%d].from[%d].namespaceSelector", [i, j])
	msg := sprintf("ingress rule %d of NetworkPolicy %q admits research namespaces (namespaceSelector %s); select clinical or platform namespaces only", [i, np.name, json.marshal(selector)])
}

# [path, message] of each violation, by policy id (OPA indexes the inner comprehension on the
# id: one pass, not a partial rule checked against every earlier key).
violations := {id: vs |
	some id in {v[0] | some v in violation}
	vs := {[v[1], v[2]] | some v in violation; v[0] = id}
}

admits_research(selector) if k8s.selects_all(selector)

admits_research(selector) if {
	some labels in research_labels
	k8s.selector_matches(selector, labels)
}

# Each ingress rule or source that admits research fails at its field; a policy without any
# passes on its spec.
subjects contains check.subject(np.id, v[0], v[1]) if {
	some np in clinical_policies
	some v in object.get(violations, np.id, set())
}

subjects contains check.subject(np.id, "spec", "") if {
	some np in clinical_policies
	count(object.get(violations, np.id, set())) == 0
}
