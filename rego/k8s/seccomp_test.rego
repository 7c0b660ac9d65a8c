package dxguard.checks.k8s.seccomp_test

import data.dxguard.checks.k8s.seccomp
import data.lib.check
import data.lib.fixtures_test as fx

# The check's rows, as dxguard.main derives them from its subjects.
results := [check.row(seccomp.meta, s) | some s in seccomp.subjects]

test_pod_level_profile_is_inherited if {
	spec := {"securityContext": {"seccompProfile": {"type": "RuntimeDefault"}}, "containers": [fx.good_container]}
	res := results with input as fx.input_of([fx.deployment("d", spec)])
	fx.statuses(res, "d") == {"pass"}
}

test_container_unconfined_overrides_pod_default if {
	c := object.union(fx.good_container, {"securityContext": {"seccompProfile": {"type": "Unconfined"}}})
	spec := {"securityContext": {"seccompProfile": {"type": "RuntimeDefault"}}, "containers": [c]}
	res := results with input as fx.input_of([fx.pod("p", spec)])
	fx.failed_paths(res) == {"spec.containers[0].securityContext.seccompProfile.type"}
}

test_unconfined_pod_profile_fails_at_the_pod if {
	spec := {"securityContext": {"seccompProfile": {"type": "Unconfined"}}, "containers": [fx.good_container]}
	res := results with input as fx.input_of([fx.pod("p", spec)])
	fx.failed_paths(res) == {"spec.securityContext.seccompProfile.type"}
}

test_missing_profile_fails_where_it_belongs if {
	res := results with input as fx.input_of([fx.cronjob("cj", {"containers": [fx.good_container]})])
	fx.failed_paths(res) == {"spec.jobTemplate.spec.template.spec.containers[0].securityContext.seccompProfile.type"}
	some r in res
	contains(r.message, "without a seccomp profile")
}

test_localhost_profile_passes if {
	c := object.union(fx.good_container, {"securityContext": {"seccompProfile": {"type": "Localhost", "localhostProfile": "profiles/wsi.json"}}})
	res := results with input as fx.input_of([fx.pod("p", {"containers": [c]})])
	fx.statuses(res, "p") == {"pass"}
}

test_containers_inheriting_an_unconfined_pod_profile_are_one_subject if {
	second := object.union(fx.good_container, {"name": "sidecar"})
	spec := {"securityContext": {"seccompProfile": {"type": "Unconfined"}}, "containers": [fx.good_container, second]}
	res := results with input as fx.input_of([fx.pod("p", spec)])
	[r] := res
	r.path == "spec.securityContext.seccompProfile.type"
	contains(r.message, "container \"app\" runs with seccomp profile type Unconfined")
	contains(r.message, "container \"sidecar\" runs with seccomp profile type Unconfined")
}

test_containers_confined_by_the_pod_profile_pass_each_at_its_own_field if {
	second := object.union(fx.good_container, {"name": "sidecar"})
	spec := {"securityContext": {"seccompProfile": {"type": "RuntimeDefault"}}, "containers": [fx.good_container, second]}
	res := results with input as fx.input_of([fx.pod("p", spec)])
	fx.passed_paths(res) == {"spec.containers[0].securityContext.seccompProfile.type", "spec.containers[1].securityContext.seccompProfile.type"}
	count(res) == 2
}
