# METADATA
# title: Clinical VMs have no public IP address
# description: |
#   A clinical VM reachable from the internet exposes patient data and validated software to
#   attack. Clinical VMs and VM templates take no public IP; traffic reaches them through
#   controlled entry points (load balancer, bastion, private link).
# scope: package
# custom:
#   id: DXG-VM-ISO-005
#   family: isolation
#   severity: critical
#   targets:
#     vm: [aws_instance, aws_launch_template, google_compute_instance, google_compute_instance_template, google_compute_region_instance_template, azurerm_linux_virtual_machine, azurerm_windows_virtual_machine]
#   scope: object
#   inventory: [Namespace]
#   remediation: Set associate_public_ip_address = false (AWS), remove access_config blocks (GCP), attach no azurerm_public_ip to the VM's network interfaces (Azure).
package dxguard.checks.vm.public_ip

import data.lib.check
import data.lib.vm

meta := check.meta(rego.metadata.chain())

# The network of every clinical machine, examined once.
subjects contains check.subject(res.id, net.path, problem(res, net)) if {
	some res in vm.machines
	vm.clinical(res)
	net := vm.fact(res, "network")
	"public_ip" in object.keys(net)
}

problem(res, net) := sprintf("clinical %s %s; give it no public IP and reach it through a controlled entry point", [vm.label(res), why(net)]) if {
	net.public_ip != false
} else := ""

why(net) := "gets a public IP address" if net.public_ip == true

else := "may get a public IP address (not set explicitly; the subnet or network decides)"
