package dxguard.checks.vm.dedicated_cpu_test

import data.dxguard.checks.vm.dedicated_cpu
import data.lib.check
import data.lib.vm_fixtures_test as fx

# The rows of the check's subjects, as dxguard.main derives them.
results := [check.row(dedicated_cpu.meta, s) | some s in dedicated_cpu.subjects]

machine(id, labels, cpu) := fx.vm(id, {"labels": labels, "cpu": object.union({"path": "spec.template.spec.domain.cpu"}, cpu)})

test_dedicated_and_isolated_passes if {
	res := results with input as fx.input_of([machine("v", fx.clinical_labels, {"dedicated": true, "isolate_emulator_thread": true})])
		with data.dxguard.config.tiers as fx.tiers
	fx.statuses(res, "v") == {"pass"}
}

test_dedicated_without_isolated_emulator_thread_fails if {
	res := results with input as fx.input_of([machine("v", fx.clinical_labels, {"dedicated": true, "isolate_emulator_thread": false})])
		with data.dxguard.config.tiers as fx.tiers
	some msg in fx.messages(res)
	contains(msg, "lacks an isolated emulator thread")
}

test_instancetype_not_in_the_scan_fails_and_says_so if {
	cpu := {"dedicated": null, "isolate_emulator_thread": null, "from": "VirtualMachineClusterInstancetype/x (not in the scanned input)"}
	res := results with input as fx.input_of([machine("v", fx.clinical_labels, cpu)])
		with data.dxguard.config.tiers as fx.tiers
	some msg in fx.messages(res)
	contains(msg, "not in the scanned input")
}

test_research_vm_is_not_examined if {
	count(results) == 0 with input as fx.input_of([machine("v", fx.research_labels, {"dedicated": false, "isolate_emulator_thread": false})])
		with data.dxguard.config.tiers as fx.tiers
}
