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

results contains check.fail(m, res.id, cpu.path, msg) if {
	m := meta
	some res in vm.machines
	vm.clinical(res)
	cpu := vm.fact(res, "cpu")
	g := gaps(cpu)
	count(g) > 0
	msg := sprintf("clinical %s lacks %s%s; give it dedicated CPUs with an isolated emulator thread", [vm.label(res), concat(" and ", sort(g)), vm.from(cpu)])
}

results contains check.pass(m, res.id, cpu.path) if {
	m := meta
	some res in vm.machines
	vm.clinical(res)
	cpu := vm.fact(res, "cpu")
	count(gaps(cpu)) == 0
}
