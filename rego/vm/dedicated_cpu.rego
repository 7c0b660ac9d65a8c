# METADATA
# title: Clinical KubeVirt VMs get dedicated CPUs and an isolated emulator thread
# description: |
#   A clinical VM that shares CPUs with other workloads computes at a pace that depends on its
#   neighbours. KubeVirt's dedicated CPU placement pins its vCPUs to host CPUs of its own, and an
#   isolated emulator thread keeps QEMU's own work off them.
# scope: package
# custom:
#   id: DXG-VM-ISO-007
#   family: isolation
#   severity: medium
#   targets:
#     vm: [VirtualMachine, VirtualMachineInstance, VirtualMachineInstanceReplicaSet]
#   scope: object
#   inventory: [Namespace]
#   remediation: Set domain.cpu.dedicatedCpuPlacement and isolateEmulatorThread to true, or use an instancetype with spec.cpu.dedicatedCPUPlacement and isolateEmulatorThread (and include it in the scan).
package dxguard.checks.vm.dedicated_cpu

import data.lib.check
import data.lib.vm

meta := check.meta(rego.metadata.chain())

gaps(cpu) := [g |
	some key, name in {"dedicated": "dedicated CPU placement", "isolate_emulator_thread": "an isolated emulator thread"}
	cpu[key] != true
	g := name
]

# The CPU placement of every clinical machine, examined once.
subjects contains check.subject(res.id, cpu.path, problem(res, cpu)) if {
	some res in vm.machines
	vm.clinical(res)
	cpu := vm.fact(res, "cpu")
}

problem(res, cpu) := sprintf("clinical %s lacks %s%s; give it dedicated CPUs with an isolated emulator thread", [vm.label(res), concat(" and ", sort(g)), vm.from(cpu)]) if {
	g := gaps(cpu)
	count(g) > 0
} else := ""
