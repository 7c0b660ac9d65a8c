package dxguard.checks.k8s.privileged_test

import data.dxguard.checks.k8s.privileged
import data.lib.fixtures_test as fx

test_unprivileged_container_passes if {
	res := privileged.results with input as fx.input_of([fx.deployment("d", {"containers": [fx.good_container]})])
	fx.statuses(res, "d") == {"pass"}
	fx.passed_paths(res) == {"spec.template.spec.containers[0]"}
}

test_privileged_container_fails_at_the_field if {
	c := object.union(fx.good_container, {"securityContext": {"privileged": true}})
	res := privileged.results with input as fx.input_of([fx.deployment("d", {"containers": [c]})])
	fx.statuses(res, "d") == {"fail"}
	fx.failed_paths(res) == {"spec.template.spec.containers[0].securityContext.privileged"}
}

test_privileged_init_container_of_cronjob_fails if {
	bad := {"name": "setup", "image": fx.pinned_image, "securityContext": {"privileged": true}}
	spec := {"initContainers": [bad], "containers": [fx.good_container]}
	res := privileged.results with input as fx.input_of([fx.cronjob("cj", spec)])
	fx.failed_paths(res) == {"spec.jobTemplate.spec.template.spec.initContainers[0].securityContext.privileged"}
	fx.passed_paths(res) == {"spec.jobTemplate.spec.template.spec.containers[0]"}
}

test_privileged_ephemeral_container_fails if {
	bad := {"name": "debug", "image": "busybox", "securityContext": {"privileged": true}}
	res := privileged.results with input as fx.input_of([fx.pod("p", {"containers": [fx.good_container], "ephemeralContainers": [bad]})])
	fx.failed_paths(res) == {"spec.ephemeralContainers[0].securityContext.privileged"}
}

test_metadata_names_the_check if {
	privileged.meta.custom.id == "DXG-K8S-ISO-001"
	privileged.meta.package == "dxguard.checks.k8s.privileged"
}
