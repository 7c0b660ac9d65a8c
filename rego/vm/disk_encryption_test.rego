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

on_sc(name, params) := object.union(disk(null, "sc"), {"name": name, "path": name, "storage_class_parameters": params})

test_storage_class_parameters_decide_kubevirt_disk_encryption if {
	disks := [
		on_sc("ceph", {"encrypted": "true", "pool": "x"}),
		on_sc("gcp", {"disk-encryption-kms-key": "projects/p/locations/l/keyRings/r/cryptoKeys/k"}),
		on_sc("azure", {"diskEncryptionSetID": "/subscriptions/s/des"}),
		on_sc("ebs", {"kmsKeyId": "arn:aws:kms:k"}),
		on_sc("plain", {"pool": "x"}),
		on_sc("off", {"encrypted": "false"}),
		on_sc("empty-key", {"kmsKeyId": ""}),
	]
	res := results with input as fx.input_of([fx.vm("v", {"disks": disks})])
		with data.dxguard.config.parameters.vm_encrypted_storage_classes as []
	{r.subject | some r in res; r.status == "pass"} == {"ceph", "gcp", "azure", "ebs"}
	{r.subject | some r in res; r.status == "fail"} == {"plain", "off", "empty-key"}
	some msg in fx.messages(res)
	contains(msg, `is on StorageClass "sc", which does not encrypt`)
}
