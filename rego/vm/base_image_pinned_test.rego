package dxguard.checks.vm.base_image_pinned_test

import data.dxguard.checks.vm.base_image_pinned
import data.lib.check
import data.lib.vm_fixtures_test as fx

# The rows of the check's subjects, as dxguard.main derives them.
results := [check.row(base_image_pinned.meta, s) | some s in base_image_pinned.subjects]

digest_ref := "registry.example/os/rocky9@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

test_digest_pinned_container_disk_passes if {
	img := {"ref": digest_ref, "kind": "container-disk", "path": "spec.template.spec.volumes[0].containerDisk.image"}
	res := results with input as fx.input_of([fx.vm("v", {"images": [img]})])
	fx.statuses(res, "v") == {"pass"}
	fx.passed_paths(res) == {"spec.template.spec.volumes[0].containerDisk.image"}
}

test_most_recent_ami_fails_with_the_reason if {
	img := {"ref": "ami-0abc", "kind": "ami", "filters": ["name"], "most_recent": true, "path": "source.source_ami_filter[0].most_recent"}
	res := results with input as fx.input_of([fx.vm("p", {"role": "image-build", "images": [img]})])
	fx.failed_paths(res) == {"source.source_ami_filter[0].most_recent"}
	some msg in fx.messages(res)
	contains(msg, "most_recent")
}

test_each_image_is_a_subject if {
	good := {"ref": digest_ref, "kind": "registry-import", "path": "a"}
	bad := {"ref": "https://example.invalid/x.qcow2", "kind": "http-import", "path": "b"}
	res := results with input as fx.input_of([fx.vm("v", {"images": [good, bad]})])
	fx.statuses(res, "v") == {"pass", "fail"}
	{r.subject | some r in res} == {digest_ref, "https://example.invalid/x.qcow2"}
}

test_non_machine_roles_are_not_examined if {
	img := {"ref": "x", "kind": "ami", "path": "p"}
	count(results) == 0 with input as fx.input_of([fx.vm("t", {"role": "toolchain", "images": [img]})])
}
