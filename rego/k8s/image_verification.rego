# METADATA
# title: Clinical namespaces admit only verified images
# description: |
#   A signature or attestation check at admission is what keeps an unscanned or tampered image
#   out of a clinical namespace. Each clinical namespace the scan names must be covered by an
#   enforcing image-verification policy: a Kyverno ClusterPolicy or Policy with a verifyImages
#   rule (attestors or attestations, failure action Enforce, failurePolicy not Ignore) whose
#   match selects Pods in that namespace and whose exclude does not; or a Sigstore
#   policy-controller ClusterImagePolicy (mode enforce, with authorities) together with the
#   namespace label policy.sigstore.dev/include=true on the Namespace object. Policies are
#   looked up once and matched per namespace. A clinical namespace without such a policy in the
#   scanned set fails (evidence missing), never passes silently.
# scope: package
# custom:
#   id: DXG-K8S-SCN-001
#   family: scanning
#   severity: high
#   targets:
#     k8s: [ClusterPolicy, Policy, ClusterImagePolicy, Namespace]
#   scope: cluster
#   inventory: [ClusterPolicy, Policy, ClusterImagePolicy, Namespace, namespaces]
#   remediation: Install an image-verification admission policy that enforces signatures (e.g. a Kyverno verifyImages rule with failureAction Enforce matching Pods in the clinical namespaces, or a Sigstore ClusterImagePolicy plus the namespace label policy.sigstore.dev/include=true) and include it in the scan.
package dxguard.checks.k8s.image_verification

import data.lib.check
import data.lib.k8s

meta := check.meta(rego.metadata.chain())

kyverno_policies contains res if {
	some kind in ["ClusterPolicy", "Policy"]
	some res in k8s.of_kind(kind)
	startswith(object.get(res, "apiVersion", ""), "kyverno.io/")
	not lower(object.get(k8s.obj_at(res, ["object", "spec"]), "failurePolicy", "Fail")) == "ignore"
}

sigstore_policies contains res if {
	some res in k8s.of_kind("ClusterImagePolicy")
	startswith(object.get(res, "apiVersion", ""), "policy.sigstore.dev/")
	lower(object.get(k8s.obj_at(res, ["object", "spec"]), "mode", "enforce")) == "enforce"
	count(k8s.arr_at(res, ["object", "spec", "authorities"])) > 0
}

# Enforcing verifyImages rules: [policy, rule index].
enforcing_rules contains [p, i] if {
	some p in kyverno_policies
	some i, rule in k8s.arr_at(p, ["object", "spec", "rules"])
	some entry in k8s.arr_at(rule, ["verifyImages"])
	lower(object.get(entry, "failureAction", object.get(p.object.spec, "validationFailureAction", "Audit"))) == "enforce"
	count(array.concat(k8s.arr_at(entry, ["attestors"]), k8s.arr_at(entry, ["attestations"]))) > 0
}

# The policy that covers the clinical namespace: [resource id, path].
coverage[ns] contains [p.id, sprintf("spec.rules[%d].verifyImages", [i])] if {
	some ns in k8s.clinical_namespaces
	some [p, i] in enforcing_rules
	rule := p.object.spec.rules[i]
	in_scope(p, ns)
	match_selects(k8s.obj_at(rule, ["match"]), ns)
	not match_selects_any(k8s.obj_at(rule, ["exclude"]), ns)
}

coverage[ns] contains [p.id, "spec.mode"] if {
	some ns in k8s.clinical_namespaces
	some p in sigstore_policies
	k8s.namespace_labels(ns)["policy.sigstore.dev/include"] == "true"
}

# A namespaced Kyverno Policy applies only in its own namespace.
in_scope(p, _) if p.kind == "ClusterPolicy"

in_scope(p, ns) if {
	p.kind == "Policy"
	p.namespace == ns
}

# match: any (one filter selects), all (every filter selects), or the legacy resources block.
match_selects(m, ns) if {
	some f in k8s.arr_at(m, ["any"])
	filter_selects(f, ns, true)
}

match_selects(m, ns) if {
	count(k8s.arr_at(m, ["all"])) > 0
	every f in m.all {
		filter_selects(f, ns, true)
	}
}

match_selects(m, ns) if {
	is_object(m.resources)
	filter_selects(m, ns, true)
}

# For exclude, a filter without kinds excludes every kind.
match_selects_any(m, ns) if {
	some f in array.concat(k8s.arr_at(m, ["any"]), k8s.arr_at(m, ["all"]))
	filter_selects(f, ns, false)
}

match_selects_any(m, ns) if {
	is_object(m.resources)
	filter_selects(m, ns, false)
}

filter_selects(f, ns, kinds_required) if {
	r := k8s.obj_at(f, ["resources"])
	selects_pods(r, kinds_required)
	namespace_selected(r, ns)
}

selects_pods(r, _) if {
	some kind in k8s.arr_at(r, ["kinds"])
	last := regex.split(`/`, kind)
	last[count(last) - 1] in {"Pod", "*"}
}

selects_pods(r, false) if count(k8s.arr_at(r, ["kinds"])) == 0

namespace_selected(r, ns) if {
	namespaces_ok(r, ns)
	selector_ok(r, ns)
}

namespaces_ok(r, _) if count(k8s.arr_at(r, ["namespaces"])) == 0

namespaces_ok(r, ns) if {
	some pattern in k8s.arr_at(r, ["namespaces"])
	glob.match(pattern, [], ns)
}

selector_ok(r, _) if not is_object(object.get(r, "namespaceSelector", null))

selector_ok(r, ns) if k8s.selector_matches(r.namespaceSelector, k8s.namespace_labels(ns))

# Each clinical namespace, examined once: on the first policy that covers it, or on its anchor
# when none does (evidence missing).
subjects contains check.named_subject(cover[0], cover[1], ns, "") if {
	some ns in k8s.clinical_namespaces
	cover := min(object.get(coverage, ns, set()))
}

subjects contains check.named_subject(k8s.namespace_anchor(ns), k8s.namespace_anchor_path(ns), ns, msg) if {
	some ns in k8s.clinical_namespaces
	count(object.get(coverage, ns, set())) == 0
	msg := sprintf("no enforcing image-verification admission policy in the scanned set covers clinical namespace %q, so unsigned or unverified images can run there; add a Kyverno verifyImages policy (failureAction Enforce) or a Sigstore ClusterImagePolicy with the namespace label policy.sigstore.dev/include=true", [ns])
}
