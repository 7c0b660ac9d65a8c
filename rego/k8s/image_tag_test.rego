package dxguard.checks.k8s.image_tag_test

import data.dxguard.checks.k8s.image_tag
import data.lib.check
import data.lib.fixtures_test as fx

# The check's rows, as dxguard.main derives them from its subjects.
results := [check.row(image_tag.meta, s) | some s in image_tag.subjects]

image_results(ref) := res if {
	c := object.union(fx.good_container, {"image": ref})
	res := results with input as fx.input_of([fx.pod("p", {"containers": [c]})])
}

test_release_tag_passes if {
	fx.statuses(image_results("registry.example/app:2.4.1"), "p") == {"pass"}
}

test_digest_without_tag_passes if {
	fx.statuses(image_results(fx.pinned_image), "p") == {"pass"}
	fx.statuses(image_results(concat("@", ["registry.example/app", fx.digest])), "p") == {"pass"}
}

test_latest_fails if {
	fx.statuses(image_results("registry.example/app:latest"), "p") == {"fail"}
	fx.statuses(image_results("nginx:LATEST"), "p") == {"fail"}
}

test_untagged_fails if {
	fx.statuses(image_results("nginx"), "p") == {"fail"}
	fx.statuses(image_results("localhost:5000/team/app"), "p") == {"fail"}
}

test_missing_image_fails if {
	c := {"name": "app"}
	res := results with input as fx.input_of([fx.pod("p", {"containers": [c]})])
	fx.failed_paths(res) == {"spec.containers[0].image"}
}
