package dxguard.checks.k8s.sysctls_test

import data.dxguard.checks.k8s.sysctls as check_under_test
import data.lib.fixtures_test as fx

rows(inp) := r if {
	r := fx.rows(check_under_test.meta, check_under_test.subjects) with input as inp
}

with_sysctls(list) := fx.input_of([fx.pod("p", {"securityContext": {"sysctls": list}, "containers": [fx.good_container]})])

test_safe_sysctls_and_none_pass if {
	fx.passed_paths(rows(with_sysctls([{"name": "net.ipv4.ip_local_port_range", "value": "1024 65535"}, {"name": "net.ipv4.tcp_keepalive_time", "value": "600"}]))) == {"spec.securityContext.sysctls"}
	fx.passed_paths(rows(fx.input_of([fx.pod("p", {"containers": [fx.good_container]})]))) == {"spec.securityContext.sysctls"}
}

test_each_unsafe_sysctl_fails_at_its_name if {
	res := rows(with_sysctls([{"name": "kernel.shm_rmid_forced", "value": "1"}, {"name": "kernel.msgmax", "value": "65536"}, {"name": "net.core.somaxconn", "value": "1024"}, {"name": "net/ipv4/tcp_syncookies", "value": "1"}]))
	fx.failed_paths(res) == {"spec.securityContext.sysctls[1].name", "spec.securityContext.sysctls[2].name", "spec.securityContext.sysctls[3].name"}
}

test_a_sysctl_list_of_the_wrong_type_fails if {
	fx.failed_paths(rows(with_sysctls({"name": "kernel.msgmax"}))) == {"spec.securityContext.sysctls"}
	fx.failed_paths(rows(with_sysctls([{"name": ["kernel.msgmax"]}]))) == {"spec.securityContext.sysctls[0].name"}
}
