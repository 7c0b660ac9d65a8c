package dxguard.checks.k8s.log_sink_label_test

import data.dxguard.checks.k8s.log_sink_label
import data.lib.check
import data.lib.fixtures_test as fx

# The check's rows, as dxguard.main derives them from its subjects.
results := [check.row(log_sink_label.meta, s) | some s in log_sink_label.subjects]

run(labels) := res if {
	res := results with input as fx.input_of([fx.deployment_in("d", "clinical-x", labels, fx.clinical_spec)])
		with data.dxguard.config as fx.config
}

test_named_sink_passes if {
	fx.statuses(run(fx.clinical_labels), "d") == {"pass"}
}

test_missing_sink_fails if {
	fx.failed_paths(run({"app": "x"})) == {"metadata.labels"}
}
