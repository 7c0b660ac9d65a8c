# METADATA
# title: Guests run auditd and synchronised time
# description: |
#   Audit trails must be computer-generated and time-stamped: the guest's audit daemon records
#   security-relevant events, and time synchronisation (chrony, NTP) makes the stamps trustworthy.
#   Evidence comes from cloud-init user-data and Packer provisioners that install or enable them.
# scope: package
# custom:
#   id: DXG-VM-LOG-001
#   family: logging
#   severity: high
#   targets:
#     vm: [VirtualMachine, VirtualMachineInstance, VirtualMachineInstanceReplicaSet, aws_instance, aws_launch_template, google_compute_instance, google_compute_instance_template, google_compute_region_instance_template, azurerm_linux_virtual_machine, azurerm_windows_virtual_machine, PackerSource, CloudConfig]
#   scope: object
#   remediation: "Install and enable auditd and chrony (or another NTP client) in cloud-init (packages: [audit, chrony] and runcmd, or the ntp module) or in a Packer provisioner of the base image."
package dxguard.checks.vm.guest_audit_time

import data.lib.check
import data.lib.vm

meta := check.meta(rego.metadata.chain())

# Machines and stand-alone guest configurations (cloud-init).
examined contains res if some res in vm.machines

examined contains res if some res in vm.of_role("guest-config")

missing(g) := [m |
	some key, name in {"auditd": "the audit daemon (auditd)", "time_sync": "time synchronisation (chrony/NTP)"}
	g[key] != true
	m := name
]

# The guest set-up of every machine and guest configuration, examined once.
subjects contains check.subject(res.id, g.path, problem(res, g)) if {
	some res in examined
	g := vm.fact(res, "guest")
}

problem(res, g) := sprintf("%s: %s %s; install and enable them so the guest keeps a time-stamped audit trail", [vm.label(res), setup(g), lacks(gaps)]) if {
	gaps := missing(g)
	count(gaps) > 0
} else := ""

lacks(m) := sprintf("does not set up %s", m) if count(m) == 1

else := sprintf("sets up neither %s", [concat(" nor ", sort(m))])

setup(g) := sprintf("its guest set-up (%s)", [concat(", ", sort({s.kind | some s in g.sources}))]) if g.configured

else := "no cloud-init, script or provisioner is visible, so the guest"
