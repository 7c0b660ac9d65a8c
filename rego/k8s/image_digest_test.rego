package dxguard.checks.k8s.image_digest_test

import data.dxguard.checks.k8s.image_digest
import data.lib.check
import data.lib.fixtures_test as fx

# The check's rows, as dxguard.main derives them from its subjects.
results := [check.row(image_digest.meta, s) | some s in image_digest.subjects]

test_digest_pinned_image_passes if {
	res := results with input as fx.input_of([fx.deployment("d", {"containers": [fx.good_container]})])
	fx.statuses(res, "d") == {"pass"}
	fx.passed_paths(res) == {"spec.template.spec.containers[0].image"}
}

test_tag_only_image_fails if {
	c := object.union(fx.good_container, {"image": "registry.example/pathology/slide-viewer:2.4.1"})
	res := results with input as fx.input_of([fx.deployment("d", {"containers": [c]})])
	fx.failed_paths(res) == {"spec.template.spec.containers[0].image"}
}

test_truncated_digest_fails if {
	c := object.union(fx.good_container, {"image": "registry.example/app@sha256:1234"})
	res := results with input as fx.input_of([fx.pod("p", {"containers": [c]})])
	fx.statuses(res, "p") == {"fail"}
}

test_unpinned_init_container_of_cronjob_fails if {
	spec := {"initContainers": [{"name": "i", "image": "busybox:1.36"}], "containers": [fx.good_container]}
	res := results with input as fx.input_of([fx.cronjob("cj", spec)])
	fx.failed_paths(res) == {"spec.jobTemplate.spec.template.spec.initContainers[0].image"}
	fx.passed_paths(res) == {"spec.jobTemplate.spec.template.spec.containers[0].image"}
}
