package dxguard.checks.k8s.runtime_class_test

import data.dxguard.checks.k8s.runtime_class
import data.lib.fixtures_test as fx

run(resources) := res if {
	res := runtime_class.results with input as fx.input_of(resources) with data.dxguard.config as fx.config
}

rc(n, handler) := fx.named("rc", "RuntimeClass", n, null, {"apiVersion": "node.k8s.io/v1", "kind": "RuntimeClass", "handler": handler})

test_approved_runtime_class_passes if {
	fx.statuses(run([fx.deployment("d", fx.clinical_spec), rc("gvisor", "runsc")]), "d") == {"pass"}
}

test_default_runtime_fails if {
	res := run([fx.deployment("d", {"containers": [fx.good_container]})])
	fx.failed_paths(res) == {"spec.template.spec.runtimeClassName"}
	some r in res
	contains(r.message, "default runtime")
}

test_approved_name_with_unsandboxed_handler_fails if {
	res := run([fx.deployment("d", fx.clinical_spec), rc("gvisor", "runc")])
	some r in res
	r.status == "fail"
	contains(r.message, "handler")
}

test_research_pods_are_not_examined if {
	d := object.union(fx.deployment("d", {"containers": [fx.good_container]}), {"namespace": "research"})
	count(run([d])) == 0
}
