# METADATA
# title: The audit Policy records clinical changes and keeps Secrets out of the log
# description: |
#   An audit.k8s.io/v1 Policy decides, rule by rule (first match wins; no match means level
#   None), what the API server records. Every Policy in the scan is evaluated the way
#   kube-apiserver evaluates it, for representative requests: every write (create, update,
#   patch, delete, deletecollection) to the workload and config resources of parameter
#   audit_write_resources in each clinical namespace must be recorded at Metadata or higher, and
#   every request for Secrets in any namespace must be recorded at Metadata at most, never
#   Request or RequestResponse (which copy secret values into the log). A rule limited to some
#   users, groups or resource names is treated as covering only those, so a level None rule for
#   some users leaves a gap. Clinical namespaces are those the scan names plus the literal names
#   of the clinical tier. When the scan holds a kube-apiserver manifest but no Policy, or
#   clinical workloads and neither (with parameter cluster_evidence required), the check fails:
#   the policy is not in the scanned set.
# scope: package
# custom:
#   id: DXG-K8S-LOG-003
#   family: logging
#   severity: high
#   targets:
#     k8s: [Policy]
#   parameters: [audit_write_resources, cluster_evidence]
#   scope: cluster
#   inventory: [Policy, Pod, Namespace, namespaces]
#   remediation: "Begin the audit Policy with a rule recording Secrets (and ConfigMaps if they may hold credentials) at level Metadata, record writes to workloads and config at Request or RequestResponse, end with a catch-all rule such as `- level: Metadata`, and include the Policy file in the scan."
package dxguard.checks.k8s.audit_policy

import data.dxguard.config
import data.lib.check
import data.lib.k8s

meta := check.meta(rego.metadata.chain())

levels := {"None": 0, "Metadata": 1, "Request": 2, "RequestResponse": 3}

write_verbs := ["create", "update", "patch", "delete", "deletecollection"]

secret_verbs := array.concat(["get", "list", "watch"], write_verbs)

# "Namespace" no Policy rule names: stands for every namespace a rule does not list.
other_namespace := "(any other namespace)"

policies contains res if {
	some res in k8s.of_kind("Policy")
	startswith(object.get(res, "apiVersion", ""), "audit.k8s.io/")
}

# -- representative requests --------------------------------------------------------------------

clinical_names := k8s.clinical_namespaces | {n |
	some n in object.get(config.tiers, ["clinical", "namespaces"], [])
	not regex.match(`[*?\[\]{}]`, n)
}

group_resource(name) := {"resource": parts[0], "group": concat(".", array.slice(parts, 1, count(parts)))} if {
	parts := split(name, ".")
}

# A rule tells namespaces apart only by listing them, so the clinical namespaces no rule of a
# Policy lists behave alike: one of them stands for all (requests stay few with many
# namespaces), and findings name every member of its class.
listed(rules) := {ns | some rule in rules; some ns in k8s.arr_at(rule, ["namespaces"])}

unlisted_clinical(rules) := clinical_names - listed(rules)

representatives(rules) := (clinical_names & listed(rules)) | {min(unlisted_clinical(rules))} if {
	count(unlisted_clinical(rules)) > 0
} else := clinical_names & listed(rules)

members(rules, ns) := unlisted_clinical(rules) if {
	not ns in listed(rules)
	ns in clinical_names
} else := {ns}

write_requests(rules) := {object.union(group_resource(name), {"verb": verb, "namespace": ns}) |
	some name in k8s.params.audit_write_resources
	some verb in write_verbs
	some ns in representatives(rules)
}

# Every namespace class a Policy's rules can tell apart: each namespace a rule lists, the
# clinical ones, and one that no rule lists.
secret_requests(rules) := {{"group": "", "resource": "secrets", "verb": verb, "namespace": ns} |
	namespaces := (listed(rules) | representatives(rules)) | {other_namespace}
	some ns in namespaces
	some verb in secret_verbs
}

# -- rule matching, as kube-apiserver's policy checker does it ----------------------------------

level(rule) := levels[l] if l := object.get(rule, "level", "None")

else := 0

matches(rule, req) if {
	verb_ok(rule, req.verb)
	resource_ok(rule, req)
}

verb_ok(rule, _) if count(k8s.arr_at(rule, ["verbs"])) == 0

verb_ok(rule, verb) if verb in k8s.arr_at(rule, ["verbs"])

scoped(rule) if count(k8s.arr_at(rule, ["namespaces"])) > 0

scoped(rule) if count(k8s.arr_at(rule, ["resources"])) > 0

resource_ok(rule, req) if {
	scoped(rule)
	namespace_ok(rule, req.namespace)
	group_ok(rule, req)
}

resource_ok(rule, _) if {
	not scoped(rule)
	count(k8s.arr_at(rule, ["nonResourceURLs"])) == 0
}

namespace_ok(rule, _) if count(k8s.arr_at(rule, ["namespaces"])) == 0

namespace_ok(rule, ns) if ns in k8s.arr_at(rule, ["namespaces"])

group_ok(rule, _) if count(k8s.arr_at(rule, ["resources"])) == 0

group_ok(rule, req) if {
	some gr in k8s.arr_at(rule, ["resources"])
	group_resource_matches(gr, req)
}

group_resource_matches(gr, req) if {
	object.get(gr, "group", "") == req.group
	count(k8s.arr_at(gr, ["resources"])) == 0
}

group_resource_matches(gr, req) if {
	object.get(gr, "group", "") == req.group
	some r in k8s.arr_at(gr, ["resources"])
	r in {req.resource, "*"}
}

# A rule that matches the request for every user and every object name.
broad(rule, req) if {
	matches(rule, req)
	count(k8s.arr_at(rule, ["users"])) == 0
	count(k8s.arr_at(rule, ["userGroups"])) == 0
	all_names(rule, req)
}

all_names(rule, _) if count(k8s.arr_at(rule, ["resources"])) == 0

all_names(rule, req) if {
	some gr in k8s.arr_at(rule, ["resources"])
	group_resource_matches(gr, req)
	count(k8s.arr_at(gr, ["resourceNames"])) == 0
}

# The index of the first rule that decides the request for everyone, or -1 (level None).
decider(rules, req) := min(found) if {
	found := {i | some i, rule in rules; broad(rule, req)}
	count(found) > 0
} else := -1

decided_level(rules, i) := level(rules[i]) if i >= 0

else := 0

# Rules limited to some users, groups or names that come first and match the request.
narrow_before(rules, req) := {i |
	d := decider(rules, req)
	some i, rule in rules
	any_before(i, d)
	matches(rule, req)
	not broad(rule, req)
}

any_before(_, -1)

any_before(i, d) if i < d

# -- findings -------------------------------------------------------------------------------

rules_of(p) := k8s.arr_at(p, ["object", "rules"])

policy_by_id := {p.id: p | some p in policies}

# Unrecorded clinical writes, by policy and the rule that drops them (-1: no rule matches).
write_gaps[[p.id, i]] contains req if {
	some p in policies
	rules := rules_of(p)
	some req in write_requests(rules)
	i := decider(rules, req)
	decided_level(rules, i) < levels.Metadata
}

narrow_write_gaps[[p.id, i]] contains req if {
	some p in policies
	rules := rules_of(p)
	some req in write_requests(rules)
	some i in narrow_before(rules, req)
	level(rules[i]) < levels.Metadata
}

secret_leaks[[p.id, i]] contains req if {
	some p in policies
	rules := rules_of(p)
	some req in secret_requests(rules)
	i := decider(rules, req)
	i >= 0
	level(rules[i]) > levels.Metadata
}

secret_leaks[[p.id, i]] contains req if {
	some p in policies
	rules := rules_of(p)
	some req in secret_requests(rules)
	some i in narrow_before(rules, req)
	level(rules[i]) > levels.Metadata
}

summary(reqs, rules) := sprintf("%s to %s in %s", [
	concat(", ", sort({r.verb | some r in reqs})),
	concat(", ", sort({resource_name(r) | some r in reqs})),
	concat(", ", sort({ns | some r in reqs; some ns in members(rules, r.namespace)})),
])

resource_name(r) := r.resource if r.group == ""

else := concat(".", [r.resource, r.group])

who(rule) := concat(", ", array.concat(k8s.arr_at(rule, ["users"]), k8s.arr_at(rule, ["userGroups"]))) if {
	count(array.concat(k8s.arr_at(rule, ["users"]), k8s.arr_at(rule, ["userGroups"]))) > 0
} else := sprintf("resource names %v", [[n | some gr in k8s.arr_at(rule, ["resources"]); some n in k8s.arr_at(gr, ["resourceNames"])]])

# Every problem of a policy: [policy id, path, message].
findings contains [id, "rules", msg] if {
	some key, reqs in write_gaps
	[id, -1] = key
	msg := sprintf("no rule of the audit Policy matches %s, and unmatched requests are not recorded; add a rule that records them at Metadata or higher (e.g. a final `- level: Metadata`)", [summary(reqs, rules_of(policy_by_id[id]))])
}

findings contains [id, sprintf("rules[%d].level", [i]), msg] if {
	some key, reqs in write_gaps
	[id, i] = key
	i >= 0
	rules := rules_of(policy_by_id[id])
	msg := sprintf("audit Policy rule %d (level %s) drops %s; record writes to clinical workloads and config at Metadata or higher", [i, object.get(rules[i], "level", "None"), summary(reqs, rules)])
}

findings contains [id, sprintf("rules[%d].level", [i]), msg] if {
	some key, reqs in narrow_write_gaps
	[id, i] = key
	rules := rules_of(policy_by_id[id])
	msg := sprintf("audit Policy rule %d (level None) drops, for %s, %s; do not exempt anyone from recording clinical writes", [i, who(rules[i]), summary(reqs, rules)])
}

findings contains [id, sprintf("rules[%d].level", [i]), msg] if {
	some key, reqs in secret_leaks
	[id, i] = key
	rules := rules_of(policy_by_id[id])
	msg := sprintf("audit Policy rule %d records Secrets at level %s (%s), which copies secret values into the audit log; record Secrets at level Metadata in a rule before it", [i, object.get(rules[i], "level", "None"), summary(reqs, rules)])
}

# The fields with problems, each one subject with all its problems (a rule can both drop
# clinical writes and leak Secrets).
problem_fields := {[f[0], f[1]] | some f in findings}

subjects contains check.subject(id, path, check.problems(sort([f[2] | some f in findings; f[0] == id; f[1] == path]))) if {
	some [id, path] in problem_fields
}

# A policy without any problem passes on its rules.
subjects contains check.subject(p.id, "rules", "") if {
	some p in policies
	not p.id in {f[0] | some f in findings}
}

# -- missing evidence -------------------------------------------------------------------------

# No audit Policy in the inventory: each kube-apiserver's policy flag (or command line) fails,
# or, without a kube-apiserver either, the first clinical workload (evidence missing).
subjects contains check.subject(c.resource, path, msg) if {
	count(policies) == 0
	some c in k8s.apiservers
	fl := k8s.container_flags(c)
	path := object.get(fl, ["audit-policy-file", "path"], concat(".", [c.path, "command"]))
	msg := sprintf("the audit Policy kube-apiserver loads (%s) is not in the scanned set, so what it records cannot be confirmed; add the Policy file to the scan", [object.get(fl, ["audit-policy-file", "value"], "no --audit-policy-file")])
}

subjects contains check.subject(k8s.clinical_anchor, "metadata", msg) if {
	count(policies) == 0
	count(k8s.apiservers) == 0
	k8s.cluster_evidence_required
	msg := "the scan holds clinical workloads but no audit Policy (audit.k8s.io/v1), so what the cluster records cannot be confirmed; add the audit Policy file to the scan, or set parameters.cluster_evidence: when-present and attach audit evidence"
}
