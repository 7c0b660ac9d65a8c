package dxguard.checks.k8s.runtime_class_test

import data.dxguard.checks.k8s.runtime_class
import data.lib.check
import data.lib.fixtures_test as fx

# The check's rows, as dxguard.main derives them from its subjects.
results := [check.row(runtime_class.meta, s) | some s in runtime_class.subjects]

run(resources) := res if {
	res := results with input as fx.input_of(resources) with data.dxguard.config as fx.config
}

# The workloads under review, with RuntimeClass objects in the inventory (as checker/inventory.py
# files them: kind, "" for a cluster-scoped object, name).
run_with(resources, classes) := res if {
	res := results with input as fx.input_of(resources) with data.dxguard.config as fx.config
		with data.inventory as {"k8s": {"RuntimeClass": {"": {name: [c | some c in classes; c.name == name] | some name in {c.name | some c in classes}}}}}
}

rc(n, handler) := fx.named(concat("", ["rc-", n, "-", handler]), "RuntimeClass", n, null, {"apiVersion": "node.k8s.io/v1", "kind": "RuntimeClass", "handler": handler})

test_approved_runtime_class_passes if {
	fx.statuses(run_with([fx.deployment("d", fx.clinical_spec)], [rc("gvisor", "runsc")]), "d") == {"pass"}
}

test_approved_runtime_class_missing_from_the_inventory_passes if {
	fx.statuses(run([fx.deployment("d", fx.clinical_spec)]), "d") == {"pass"}
}

test_default_runtime_fails if {
	res := run([fx.deployment("d", {"containers": [fx.good_container]})])
	fx.failed_paths(res) == {"spec.template.spec.runtimeClassName"}
	some r in res
	contains(r.message, "default runtime")
}

test_approved_name_with_unsandboxed_handler_fails if {
	res := run_with([fx.deployment("d", fx.clinical_spec)], [rc("gvisor", "runc")])
	[r] := res
	r.status == "fail"
	r.path == "spec.template.spec.runtimeClassName"
	contains(r.message, "handler")
}

test_every_runtime_class_of_the_name_must_be_sandboxed if {
	res := run_with([fx.deployment("d", fx.clinical_spec)], [rc("gvisor", "runsc"), rc("gvisor", "runc")])
	[r] := res
	r.status == "fail"
	contains(r.message, "maps to handler runc,")
}

test_a_runtime_class_in_the_input_is_not_looked_up if {
	# object scope: other objects come from the inventory only, so a scan chunk and a single
	# object at admission get the same verdict
	fx.statuses(run([fx.deployment("d", fx.clinical_spec), rc("gvisor", "runc")]), "d") == {"pass"}
}

test_research_pods_are_not_examined if {
	d := object.union(fx.deployment("d", {"containers": [fx.good_container]}), {"namespace": "research"})
	count(run([d])) == 0
}
