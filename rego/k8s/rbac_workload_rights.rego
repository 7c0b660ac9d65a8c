# METADATA
# title: Workload service accounts have no cluster-admin or wildcard rights
# description: |
#   A workload whose service account is bound to cluster-admin, or to a Role or ClusterRole with
#   a wildcard verb or resource, can take over the namespace or the cluster once compromised.
#   Every RoleBinding and ClusterRoleBinding with service-account subjects (or the
#   system:serviceaccounts groups) outside exempt namespaces is examined. The bound role is
#   looked up in the scan by name; a role that is not in the scanned set (other than the
#   built-in view, edit and admin) fails, because its rights cannot be confirmed.
# scope: package
# custom:
#   id: DXG-K8S-ISO-011
#   family: isolation
#   severity: critical
#   targets:
#     k8s: [RoleBinding, ClusterRoleBinding, Role, ClusterRole]
#   parameters: [exempt_namespaces, forbidden_cluster_roles]
#   scope: object
#   inventory: [Role, ClusterRole]
#   remediation: Bind workload service accounts to a Role that names exactly the verbs and resources they need; never cluster-admin or "*". Include the bound Role or ClusterRole in the scan.
package dxguard.checks.k8s.rbac_workload_rights

import data.lib.check
import data.lib.k8s

meta := check.meta(rego.metadata.chain())

binding_kinds := {"RoleBinding", "ClusterRoleBinding"}

# ClusterRoles every cluster has, without wildcard verbs or resources.
builtin_roles := {"view", "edit", "admin"}

# The bindings under review that bind a workload service account (outside exempt namespaces).
bindings contains b if {
	some b in k8s.resources
	b.kind in binding_kinds
	accounts := workload_accounts(b)
	count(accounts) > 0
}

workload_accounts(b) := {sprintf("%s/%s", [ns, s.name]) |
	some s in k8s.arr_at(b, ["object", "subjects"])
	s.kind == "ServiceAccount"
	ns := object.get(s, "namespace", k8s.ns_or_empty(b.namespace))
	not k8s.exempt_namespace(ns)
} | {s.name |
	some s in k8s.arr_at(b, ["object", "subjects"])
	s.kind == "Group"
	startswith(s.name, "system:serviceaccounts")
	not k8s.exempt_namespace(trim_prefix(s.name, "system:serviceaccounts:"))
}

# Every such binding's role, examined once; all its problems in one message.
subjects contains check.subject(b.id, "roleRef.name", problem(b)) if {
	some b in bindings
}

problem(b) := check.problems([msg |
	accounts := concat(", ", sort(workload_accounts(b)))
	some p in sort(problems(b))
	msg := sprintf("binds service account(s) %s to %s %q, which %s", [accounts, object.get(b.object.roleRef, "kind", "?"), object.get(b.object.roleRef, "name", "?"), p])
])

# The problems of a binding's role: a forbidden cluster role, wildcard rules of the bound Role
# or ClusterRole (looked up in the inventory), or a role that is not there at all.
problems(b) := (forbidden(b) | wildcards(b)) | missing(b)

forbidden(b) := {"is a forbidden cluster-wide administrator role; bind a minimal Role instead"} if {
	b.object.roleRef.kind == "ClusterRole"
	b.object.roleRef.name in k8s.params.forbidden_cluster_roles
} else := set()

wildcards(b) := {sprintf("grants wildcard rights (rule %d: verbs %v, resources %v); name the verbs and resources the workload needs", [i, k8s.arr_at(rule, ["verbs"]), k8s.arr_at(rule, ["resources"])]) |
	some role in bound_roles(b)
	some i, rule in k8s.arr_at(role, ["object", "rules"])
	wildcard(rule)
}

missing(b) := {"is not in the scanned set, so its rights cannot be confirmed; add it to the scan"} if {
	count(bound_roles(b)) == 0
	not b.object.roleRef.name in k8s.params.forbidden_cluster_roles
	not builtin(b.object.roleRef)
} else := set()

builtin(ref) if {
	ref.kind == "ClusterRole"
	ref.name in builtin_roles
}

bound_roles(b) := k8s.lookup("Role", b.namespace, b.object.roleRef.name) if b.object.roleRef.kind == "Role"

else := k8s.lookup("ClusterRole", "", b.object.roleRef.name)

wildcard(rule) if "*" in k8s.arr_at(rule, ["verbs"])

wildcard(rule) if "*" in k8s.arr_at(rule, ["resources"])
