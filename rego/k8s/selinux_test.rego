package dxguard.checks.k8s.selinux_test

import data.dxguard.checks.k8s.selinux as check_under_test
import data.lib.fixtures_test as fx

rows(inp) := r if {
	r := fx.rows(check_under_test.meta, check_under_test.subjects) with input as inp
}

options(c, o) := object.union(c, {"securityContext": {"seLinuxOptions": o}})

test_container_types_and_levels_pass if {
	spec := {"securityContext": {"seLinuxOptions": {"level": "s0:c123,c456"}}, "containers": [options(fx.good_container, {"type": "container_t"}), options(object.union(fx.good_container, {"name": "b"}), {"type": "container_engine_t"})]}
	res := rows(fx.input_of([fx.pod("p", spec)]))
	fx.statuses(res, "p") == {"pass"}
	count(res) == 3
}

test_other_types_users_and_roles_fail_at_the_pod_and_in_every_container_kind if {
	spec := {
		"securityContext": {"seLinuxOptions": {"type": "spc_t"}},
		"initContainers": [options(object.union(fx.good_container, {"name": "i"}), {"user": "system_u"})],
		"containers": [options(fx.good_container, {"role": "sysadm_r"})],
		"ephemeralContainers": [options(object.union(fx.good_container, {"name": "e"}), {"type": "unconfined_t"})],
	}
	res := rows(fx.input_of([fx.pod("p", spec)]))
	fx.failed_paths(res) == {
		"spec.securityContext.seLinuxOptions",
		"spec.initContainers[0].securityContext.seLinuxOptions",
		"spec.containers[0].securityContext.seLinuxOptions",
		"spec.ephemeralContainers[0].securityContext.seLinuxOptions",
	}
	some r in res
	contains(r.message, `SELinux type "spc_t"`)
}

test_mistyped_options_fail if {
	fx.failed_paths(rows(fx.input_of([fx.pod("p", {"containers": [options(fx.good_container, "container_t")]})]))) == {"spec.containers[0].securityContext.seLinuxOptions"}
	fx.failed_paths(rows(fx.input_of([fx.pod("p", {"containers": [options(fx.good_container, {"type": 7})]})]))) == {"spec.containers[0].securityContext.seLinuxOptions"}
}
