package dxguard.checks.k8s.rbac_workload_rights_test

import data.dxguard.checks.k8s.rbac_workload_rights
import data.lib.fixtures_test as fx

binding(id, kind, ns, role_kind, role, subjects) := fx.named(id, kind, "b", ns, {
	"apiVersion": "rbac.authorization.k8s.io/v1",
	"kind": kind,
	"subjects": subjects,
	"roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role},
})

role(id, kind, ns, n, rules) := fx.named(id, kind, n, ns, {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind, "rules": rules})

sa_subject := [{"kind": "ServiceAccount", "name": "wsi", "namespace": "clinical"}]

run(resources) := res if {
	res := rbac_workload_rights.results with input as fx.input_of(resources) with data.dxguard.config as fx.config
}

test_cluster_admin_binding_fails if {
	res := run([binding("crb", "ClusterRoleBinding", null, "ClusterRole", "cluster-admin", sa_subject)])
	fx.failed_paths(res) == {"roleRef.name"}
	some r in res
	contains(r.message, "clinical/wsi")
}

test_wildcard_role_fails if {
	rb := binding("rb", "RoleBinding", "clinical", "Role", "all", [{"kind": "ServiceAccount", "name": "wsi"}])
	rl := role("r", "Role", "clinical", "all", [{"apiGroups": [""], "resources": ["*"], "verbs": ["get"]}])
	res := run([rb, rl])
	fx.statuses(res, "rb") == {"fail"}
}

test_minimal_role_passes if {
	rb := binding("rb", "RoleBinding", "clinical", "Role", "read-config", sa_subject)
	rl := role("r", "Role", "clinical", "read-config", [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]}])
	fx.statuses(run([rb, rl]), "rb") == {"pass"}
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
