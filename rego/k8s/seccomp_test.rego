package dxguard.checks.k8s.seccomp_test

import data.dxguard.checks.k8s.seccomp
import data.lib.fixtures_test as fx

test_pod_level_profile_is_inherited if {
	spec := {"securityContext": {"seccompProfile": {"type": "RuntimeDefault"}}, "containers": [fx.good_container]}
	res := seccomp.results with input as fx.input_of([fx.deployment("d", spec)])
	fx.statuses(res, "d") == {"pass"}
}

test_container_unconfined_overrides_pod_default if {
	c := object.union(fx.good_container, {"securityContext": {"seccompProfile": {"type": "Unconfined"}}})
	spec := {"securityContext": {"seccompProfile": {"type": "RuntimeDefault"}}, "containers": [c]}
	res := seccomp.results with input as fx.input_of([fx.pod("p", spec)])
	fx.failed_paths(res) == {"spec.containers[0].securityContext.seccompProfile.type"}
}

test_unconfined_pod_profile_fails_at_the_pod if {
	spec := {"securityContext": {"seccompProfile": {"type": "Unconfined"}}, "containers": [fx.good_container]}
	res := seccomp.results with input as fx.input_of([fx.pod("p", spec)])
	fx.failed_paths(res) == {"spec.securityContext.seccompProfile.type"}
}

test_missing_profile_fails_where_it_belongs if {
	res := seccomp.results with input as fx.input_of([fx.cronjob("cj", {"containers": [fx.good_container]})])
	fx.failed_paths(res) == {"spec.jobTemplate.spec.template.spec.containers[0].securityContext.seccompProfile.type"}
	some r in res
	contains(r.message, "without a seccomp profile")
}

test_localhost_profile_passes if {
	c := object.union(fx.good_container, {"securityContext": {"seccompProfile": {"type": "Localhost", "localhostProfile": "profiles/wsi.json"}}})
	res := seccomp.results with input as fx.input_of([fx.pod("p", {"containers": [c]})])
	fx.statuses(res, "p") == {"pass"}
}
