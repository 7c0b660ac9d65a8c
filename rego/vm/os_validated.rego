# METADATA
# title: VM OS and kernel are on the validated list
# description: |
#   Device software is validated on a fixed operating system and kernel. Each VM, template and
#   image build must declare its OS, OS version and kernel (labels, annotations or tags
#   dxguard.io/os, dxguard.io/os-version, dxguard.io/kernel) and they must be on the validated
#   list from the configuration.
# scope: package
# custom:
#   id: DXG-VM-PIN-002
#   family: pinning
#   severity: high
#   targets:
#     vm: [VirtualMachine, VirtualMachineInstance, VirtualMachineInstanceReplicaSet, aws_instance, aws_launch_template, google_compute_instance, google_compute_instance_template, google_compute_region_instance_template, azurerm_linux_virtual_machine, azurerm_windows_virtual_machine, PackerSource]
#   scope: object
#   remediation: Declare the OS, OS version and kernel with dxguard.io/os, dxguard.io/os-version and dxguard.io/kernel (dxguard-os… where keys cannot hold '/' or '.'), and use a combination listed in vm_validated_os.
#   parameters: [vm_validated_os]
package dxguard.checks.vm.os_validated

import data.lib.check
import data.lib.vm

meta := check.meta(rego.metadata.chain())

declared(os) if {
	is_string(os.name)
	is_string(os.version)
	is_string(os.kernel)
}

validated(os) if {
	some entry in vm.param("vm_validated_os")
	entry.os == os.name
	entry.version == os.version
	os.kernel in entry.kernels
}

# The declared OS of every machine, examined once.
subjects contains check.subject(res.id, os.path, problem(res, os)) if {
	some res in vm.machines
	os := vm.fact(res, "os")
}

problem(res, os) := sprintf("%s does not declare its OS %s; add dxguard.io/os, dxguard.io/os-version and dxguard.io/kernel so the validated configuration can be confirmed", [vm.label(res), concat(" and ", missing)]) if {
	not declared(os)
	missing := [k | some k in ["name", "version", "kernel"]; not is_string(os[k])]
} else := sprintf("%s runs %s %s with kernel %s, which is not on the validated list (vm_validated_os); use a validated OS and kernel, or validate this one and add it", [vm.label(res), os.name, os.version, os.kernel]) if {
	not validated(os)
} else := ""
