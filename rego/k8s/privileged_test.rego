package dxguard.checks.k8s.privileged_test

import data.dxguard.checks.k8s.privileged
import data.lib.fixtures_test as fx

rows(subjects) := fx.rows(privileged.meta, subjects)

test_each_container_is_one_subject if {
	c := object.union(fx.good_container, {"name": "b", "securityContext": {"privileged": true}})
	subjects := privileged.subjects with input as fx.input_of([fx.deployment("d", {"containers": [fx.good_container, c]})])
	count(subjects) == 2
	count(fx.duplicate_subjects(subjects)) == 0
}

test_unprivileged_container_passes if {
	res := rows(privileged.subjects) with input as fx.input_of([fx.deployment("d", {"containers": [fx.good_container]})])
	fx.statuses(res, "d") == {"pass"}
	fx.passed_paths(res) == {"spec.template.spec.containers[0].securityContext.privileged"}
}

test_privileged_container_fails_at_the_field if {
	c := object.union(fx.good_container, {"securityContext": {"privileged": true}})
	res := rows(privileged.subjects) with input as fx.input_of([fx.deployment("d", {"containers": [c]})])
	fx.statuses(res, "d") == {"fail"}
	fx.failed_paths(res) == {"spec.template.spec.containers[0].securityContext.privileged"}
}

test_privileged_init_container_of_cronjob_fails if {
	bad := {"name": "setup", "image": fx.pinned_image, "securityContext": {"privileged": true}}
	spec := {"initContainers": [bad], "containers": [fx.good_container]}
	res := rows(privileged.subjects) with input as fx.input_of([fx.cronjob("cj", spec)])
	fx.failed_paths(res) == {"spec.jobTemplate.spec.template.spec.initContainers[0].securityContext.privileged"}
	fx.passed_paths(res) == {"spec.jobTemplate.spec.template.spec.containers[0].securityContext.privileged"}
}

test_privileged_ephemeral_container_fails if {
	bad := {"name": "debug", "image": "busybox", "securityContext": {"privileged": true}}
	res := rows(privileged.subjects) with input as fx.input_of([fx.pod("p", {"containers": [fx.good_container], "ephemeralContainers": [bad]})])
	fx.failed_paths(res) == {"spec.ephemeralContainers[0].securityContext.privileged"}
}

test_metadata_names_the_check if {
	privileged.meta.custom.id == "DXG-K8S-ISO-001"
	privileged.meta.package == "dxguard.checks.k8s.privileged"
}
