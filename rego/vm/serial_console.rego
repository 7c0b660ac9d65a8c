# METADATA
# title: VM serial console is off
# description: |
#   An interactive serial console is a way into the guest that bypasses its network controls and
#   often its login auditing. It stays off; break-glass access is switched on when needed,
#   approved and recorded.
# scope: package
# custom:
#   id: DXG-VM-ISO-008
#   family: isolation
#   severity: medium
#   targets:
#     vm: [VirtualMachine, VirtualMachineInstance, VirtualMachineInstanceReplicaSet, google_compute_instance, google_compute_instance_template, google_compute_region_instance_template]
#   scope: object
#   remediation: Set domain.devices.autoattachSerialConsole = false (KubeVirt; it defaults to true) or a preference with preferredAutoattachSerialConsole false; remove metadata serial-port-enable (GCP).
package dxguard.checks.vm.serial_console

import data.lib.check
import data.lib.vm

meta := check.meta(rego.metadata.chain())

# The serial console of every machine, examined once.
subjects contains check.subject(res.id, sc.path, problem(res, sc)) if {
	some res in vm.machines
	sc := vm.fact(res, "serial_console")
	"enabled" in object.keys(sc)
}

problem(res, sc) := sprintf("%s has an interactive serial console enabled; turn it off (KubeVirt attaches one unless autoattachSerialConsole is false; GCP enables it with serial-port-enable)", [vm.label(res)]) if {
	sc.enabled != false
} else := ""
