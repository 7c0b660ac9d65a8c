package dxguard.checks.k8s.rbac_workload_rights_test

import data.dxguard.checks.k8s.rbac_workload_rights
import data.lib.check
import data.lib.fixtures_test as fx

# The check's rows, as dxguard.main derives them from its subjects.
results := [check.row(rbac_workload_rights.meta, s) | some s in rbac_workload_rights.subjects]

binding(id, kind, ns, role_kind, role, subjects) := fx.named(id, kind, "b", ns, {
	"apiVersion": "rbac.authorization.k8s.io/v1",
	"kind": kind,
	"subjects": subjects,
	"roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role},
})

role(id, kind, ns, n, rules) := fx.named(id, kind, n, ns, {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind, "rules": rules})

sa_subject := [{"kind": "ServiceAccount", "name": "wsi", "namespace": "clinical"}]

# The bindings under review with an inventory that holds no Role or ClusterRole.
run(resources) := res if {
	res := results with input as fx.input_of(resources) with data.dxguard.config as fx.config
		with data.inventory as {"k8s": {}}
}

# The bindings under review, with Roles and ClusterRoles in the inventory (as
# checker/inventory.py files them: kind, namespace or "", name).
run_with(resources, roles) := res if {
	res := results with input as fx.input_of(resources) with data.dxguard.config as fx.config
		with data.inventory as {"k8s": {kind: {ns: {n: [r] | some r in roles; r.kind == kind; ns_key(r) == ns; n := r.name} |
			some ns in {ns_key(r) | some r in roles; r.kind == kind}
		} |
			some kind in {r.kind | some r in roles}
		}}
}

ns_key(r) := r.namespace if is_string(r.namespace)

else := ""

test_cluster_admin_binding_fails if {
	res := run([binding("crb", "ClusterRoleBinding", null, "ClusterRole", "cluster-admin", sa_subject)])
	fx.failed_paths(res) == {"roleRef.name"}
	some r in res
	contains(r.message, "clinical/wsi")
}

test_wildcard_role_fails if {
	rb := binding("rb", "RoleBinding", "clinical", "Role", "all", [{"kind": "ServiceAccount", "name": "wsi"}])
	rl := role("r", "Role", "clinical", "all", [{"apiGroups": [""], "resources": ["*"], "verbs": ["get"]}])
	res := run_with([rb], [rl])
	fx.statuses(res, "rb") == {"fail"}
}

test_minimal_role_passes if {
	rb := binding("rb", "RoleBinding", "clinical", "Role", "read-config", sa_subject)
	rl := role("r", "Role", "clinical", "read-config", [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]}])
	fx.statuses(run_with([rb], [rl]), "rb") == {"pass"}
}

test_a_role_in_the_input_is_not_looked_up if {
	rb := binding("rb", "RoleBinding", "clinical", "Role", "read-config", sa_subject)
	rl := role("r", "Role", "clinical", "read-config", [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]}])
	res := run([rb, rl])
	fx.statuses(res, "rb") == {"fail"}
	some r in res
	contains(r.message, "not in the scanned set")
}

test_role_missing_from_the_scan_fails if {
	res := run([binding("rb", "RoleBinding", "clinical", "ClusterRole", "custom", sa_subject)])
	some r in res
	contains(r.message, "not in the scanned set")
}

test_builtin_view_passes if {
	fx.statuses(run([binding("rb", "RoleBinding", "clinical", "ClusterRole", "view", sa_subject)]), "rb") == {"pass"}
}

test_all_service_accounts_group_is_examined if {
	res := run([binding("crb", "ClusterRoleBinding", null, "ClusterRole", "cluster-admin", [{"kind": "Group", "name": "system:serviceaccounts"}])])
	fx.statuses(res, "crb") == {"fail"}
}

test_exempt_and_human_subjects_are_not_examined if {
	subjects := [{"kind": "ServiceAccount", "name": "ctrl", "namespace": "kube-system"}, {"kind": "User", "name": "alice"}]
	count(run([binding("crb", "ClusterRoleBinding", null, "ClusterRole", "cluster-admin", subjects)])) == 0
}

test_forbidden_role_with_wildcard_rules_is_one_subject_with_both_problems if {
	crb := binding("crb", "ClusterRoleBinding", null, "ClusterRole", "cluster-admin", sa_subject)
	cr := role("cr", "ClusterRole", null, "cluster-admin", [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}])
	res := run_with([crb], [cr])
	[r] := res
	r.path == "roleRef.name"
	contains(r.message, "forbidden cluster-wide administrator role")
	contains(r.message, "grants wildcard rights (rule 0")
}
