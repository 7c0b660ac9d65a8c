# METADATA
# title: No host disk or device passthrough unless allowed
# description: |
#   A host disk or a host device handed to a guest breaks the isolation between VMs and the host:
#   the guest reads or drives host hardware directly. Only devices on the configured allow-list
#   (e.g. a validated GPU model) may be passed through.
# scope: package
# custom:
#   id: DXG-VM-ISO-002
#   family: isolation
#   severity: high
#   targets:
#     vm: [VirtualMachine, VirtualMachineInstance, VirtualMachineInstanceReplicaSet, aws_instance, aws_launch_template, google_compute_instance, google_compute_instance_template, google_compute_region_instance_template, azurerm_linux_virtual_machine, azurerm_windows_virtual_machine, PackerSource]
#   scope: object
#   remediation: Remove hostDisk volumes and hostDevices/gpus (KubeVirt) or guest accelerators that are not needed; add a validated device to vm_allowed_passthrough.
#   parameters: [vm_allowed_passthrough]
package dxguard.checks.vm.passthrough

import data.lib.check
import data.lib.vm

meta := check.meta(rego.metadata.chain())

allowed(dev) if dev.device in vm.param("vm_allowed_passthrough")

name(dev) := dev.device if is_string(dev.device)

else := dev.name

# Every device a machine passes through, examined once.
subjects contains check.named_subject(res.id, dev.path, name(dev), problem(res, dev)) if {
	some res in vm.machines
	some dev in res.normalized.passthrough
}

problem(res, dev) := sprintf("%s passes %s %q through to the guest; remove it, or add it to vm_allowed_passthrough once validated", [vm.label(res), dev.kind, name(dev)]) if {
	not allowed(dev)
} else := ""

# A machine that passes nothing through is one examined subject that passes.
subjects contains check.subject(res.id, path(res), "") if {
	some res in vm.machines
	is_array(res.normalized.passthrough)
	count(res.normalized.passthrough) == 0
}

path(res) := "spec.template.spec.domain.devices" if {
	res.kind == "VirtualMachine"
} else := "spec.domain.devices" if {
	res.normalized.format == "kubevirt"
} else := "source" if {
	res.normalized.format == "packer"
} else := "values"
