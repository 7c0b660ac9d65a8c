# METADATA
# title: VM disks are encrypted at rest
# description: |
#   Disks of clinical systems hold patient data and validated software. Every persistent disk
#   must be encrypted at rest: an encrypted EBS volume or AMI, a platform-encrypted cloud disk, or
#   a KubeVirt volume on a StorageClass that encrypts. Ephemeral disks (containerDisk, emptyDisk)
#   are not judged.
# scope: package
# custom:
#   id: DXG-VM-ISO-003
#   family: isolation
#   severity: high
#   targets:
#     vm: [VirtualMachine, VirtualMachineInstance, VirtualMachineInstanceReplicaSet, aws_instance, aws_launch_template, google_compute_instance, google_compute_instance_template, google_compute_region_instance_template, azurerm_linux_virtual_machine, azurerm_windows_virtual_machine, PackerSource]
#   scope: object
#   remediation: Set encrypted = true on EBS volumes (encrypt_boot in Packer), or put KubeVirt volumes on a StorageClass that encrypts (include it in the scan, or list it in vm_encrypted_storage_classes).
#   parameters: [vm_encrypted_storage_classes]
package dxguard.checks.vm.disk_encryption

import data.lib.check
import data.lib.vm

meta := check.meta(rego.metadata.chain())

persistent_disks contains [res, disk] if {
	some res in vm.machines
	some disk in res.normalized.disks
	not disk.ephemeral
}

encrypted(disk) if vm.disk_encrypted(disk) == true

encrypted(disk) if disk.storage_class in vm.param("vm_encrypted_storage_classes")

reason(disk) := sprintf("is on StorageClass %q, which does not encrypt", [disk.storage_class]) if {
	vm.disk_encrypted(disk) == false
	is_string(disk.storage_class)
} else := "is not encrypted" if {
	vm.disk_encrypted(disk) == false
} else := sprintf("is on StorageClass %q, whose encryption dxguard cannot see (include the StorageClass in the scan or list it in vm_encrypted_storage_classes)", [disk.storage_class]) if {
	is_string(disk.storage_class)
} else := "has no visible encryption setting (set it explicitly)"

# Every persistent disk, examined once.
subjects contains check.named_subject(res.id, disk.path, disk.name, problem(res, disk)) if {
	some [res, disk] in persistent_disks
}

problem(res, disk) := sprintf("%s disk %q %s; encrypt it at rest", [vm.label(res), disk.name, reason(disk)]) if {
	not encrypted(disk)
} else := ""
