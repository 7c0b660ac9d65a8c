package dxguard.checks.vm.disk_encryption_test

import data.dxguard.checks.vm.disk_encryption
import data.lib.check
import data.lib.vm_fixtures_test as fx

# The rows of the check's subjects, as dxguard.main derives them.
results := [check.row(disk_encryption.meta, s) | some s in disk_encryption.subjects]

disk(encrypted, sc) := {"name": "data", "encrypted": encrypted, "storage_class": sc, "ephemeral": false, "path": "spec.dataVolumeTemplates[0].spec"}

test_encrypted_disk_passes_and_ephemeral_disks_are_not_judged if {
	ephemeral := {"name": "root", "image": "x", "encrypted": null, "ephemeral": true, "path": "spec.template.spec.volumes[0]"}
	res := results with input as fx.input_of([fx.vm("v", {"disks": [disk(true, "ceph"), ephemeral]})])
		with data.dxguard.config.parameters.vm_encrypted_storage_classes as []
	fx.passed_paths(res) == {"spec.dataVolumeTemplates[0].spec"}
	count(res) == 1
}

test_unencrypted_ebs_fails if {
	d := {"name": "root", "encrypted": false, "path": "values.root_block_device[0].encrypted"}
	res := results with input as fx.input_of([fx.vm("a", {"disks": [d]})])
		with data.dxguard.config.parameters.vm_encrypted_storage_classes as []
	fx.failed_paths(res) == {"values.root_block_device[0].encrypted"}
}

test_unknown_storage_class_fails_unless_listed if {
	input_ := fx.input_of([fx.vm("v", {"disks": [disk(null, "fast-ssd")]})])
	res := results with input as input_ with data.dxguard.config.parameters.vm_encrypted_storage_classes as []
	some msg in fx.messages(res)
	contains(msg, "cannot see")
	listed := results with input as input_ with data.dxguard.config.parameters.vm_encrypted_storage_classes as ["fast-ssd"]
	fx.statuses(listed, "v") == {"pass"}
}
