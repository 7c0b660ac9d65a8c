package dxguard.checks.k8s.proc_mount_test

import data.dxguard.checks.k8s.proc_mount as check_under_test
import data.lib.fixtures_test as fx

rows(inp) := r if {
	r := fx.rows(check_under_test.meta, check_under_test.subjects) with input as inp
}

with_mount(c, m) := object.union(c, {"securityContext": {"procMount": m}})

test_default_and_unset_pass if {
	res := rows(fx.input_of([fx.pod("p", {"containers": [fx.good_container, with_mount(object.union(fx.good_container, {"name": "b"}), "Default")]})]))
	fx.statuses(res, "p") == {"pass"}
	count(res) == 2
}

test_unmasked_fails_in_every_container_kind_also_with_a_user_namespace if {
	spec := {
		"hostUsers": false,
		"initContainers": [with_mount(object.union(fx.good_container, {"name": "i"}), "Unmasked")],
		"containers": [with_mount(fx.good_container, "Unmasked")],
		"ephemeralContainers": [with_mount(object.union(fx.good_container, {"name": "e"}), "Unmasked")],
	}
	res := rows(fx.input_of([fx.pod("p", spec)]))
	fx.failed_paths(res) == {"spec.initContainers[0].securityContext.procMount", "spec.containers[0].securityContext.procMount", "spec.ephemeralContainers[0].securityContext.procMount"}
	some r in res
	contains(r.message, `"Unmasked"`)
}

test_a_mistyped_proc_mount_fails if {
	res := rows(fx.input_of([fx.pod("p", {"containers": [with_mount(fx.good_container, 1)]})]))
	fx.failed_paths(res) == {"spec.containers[0].securityContext.procMount"}
}
