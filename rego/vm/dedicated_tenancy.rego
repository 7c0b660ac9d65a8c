# METADATA
# title: Clinical VMs run on dedicated hosts or sole-tenant nodes
# description: |
#   VMs of other tenants on the same physical host share caches and memory bandwidth, a side
#   channel and a source of noisy-neighbour variance. Clinical VMs run on dedicated tenancy
#   (AWS dedicated instances or hosts, GCP sole-tenant nodes, Azure dedicated hosts).
# scope: package
# custom:
#   id: DXG-VM-ISO-006
#   family: isolation
#   severity: medium
#   targets:
#     vm: [aws_instance, aws_launch_template, google_compute_instance, google_compute_instance_template, google_compute_region_instance_template, azurerm_linux_virtual_machine, azurerm_windows_virtual_machine]
#   scope: object
#   inventory: [Namespace]
#   remediation: Set tenancy = "dedicated" or "host" (AWS), node_affinities on a sole-tenant node group (GCP) or dedicated_host_id / dedicated_host_group_id (Azure).
package dxguard.checks.vm.dedicated_tenancy

import data.lib.check
import data.lib.vm

meta := check.meta(rego.metadata.chain())

# The tenancy of every clinical machine, examined once.
subjects contains check.subject(res.id, t.path, problem(res, t)) if {
	some res in vm.machines
	vm.clinical(res)
	t := vm.fact(res, "tenancy")
}

problem(res, t) := sprintf("clinical %s runs on %s tenancy; run it on dedicated hosts or sole-tenant nodes", [vm.label(res), kind(t)]) if {
	not vm.dedicated_tenancy(t)
} else := ""

kind(t) := t.kind if is_string(t.kind)

else := "default (shared)"
