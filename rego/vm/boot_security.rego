# METADATA
# title: VMs boot with Secure Boot and a vTPM
# description: |
#   Secure Boot lets only signed boot loaders and kernels start, and a virtual TPM measures the
#   boot so tampering can be detected (a shielded VM). Both must be on; integrity monitoring too
#   where the platform offers it.
# scope: package
# custom:
#   id: DXG-VM-ISO-001
#   family: isolation
#   severity: high
#   targets:
#     vm: [VirtualMachine, VirtualMachineInstance, VirtualMachineInstanceReplicaSet, aws_instance, aws_launch_template, google_compute_instance, google_compute_instance_template, google_compute_region_instance_template, azurerm_linux_virtual_machine, azurerm_windows_virtual_machine, PackerSource]
#   scope: object
#   remediation: "Boot with UEFI Secure Boot and a vTPM: KubeVirt firmware.bootloader.efi.secureBoot (or a preference's preferredEfi) and devices.tpm; shielded_instance_config on GCP; secure_boot_enabled and vtpm_enabled on Azure; an AMI with boot_mode uefi, uefi_data and tpm_support v2.0 on AWS."
package dxguard.checks.vm.boot_security

import data.lib.check
import data.lib.vm

meta := check.meta(rego.metadata.chain())

# What is not on, and why (unknown is not on).
gaps(boot) := [g |
	some key, name in {"secure_boot": "Secure Boot", "vtpm": "vTPM", "integrity_monitoring": "integrity monitoring"}
	key in object.keys(boot)
	boot[key] != true
	g := sprintf("%s is %s", [name, state(boot[key])])
]

state(value) := "off" if value == false

else := "not visible in the input"

# The boot settings of every machine, examined once.
subjects contains check.subject(res.id, boot.path, problem(res, boot)) if {
	some res in vm.machines
	boot := vm.fact(res, "boot")
}

problem(res, boot) := sprintf("%s: %s%s; boot with UEFI Secure Boot and a vTPM so only signed, measured boot code runs", [vm.label(res), concat(", ", sort(g)), vm.from(boot)]) if {
	g := gaps(boot)
	count(g) > 0
} else := ""
