package dxguard.checks.k8s.revision_history_test

import data.dxguard.checks.k8s.revision_history
import data.lib.check
import data.lib.fixtures_test as fx

# The check's rows, as dxguard.main derives them from its subjects.
results := [check.row(revision_history.meta, s) | some s in revision_history.subjects]

with_limit(d, limit) := object.union(d, {"object": {"spec": {"revisionHistoryLimit": limit}}})

run(resources) := res if {
	res := results with input as fx.input_of(resources) with data.dxguard.config as fx.config
}

test_unset_limit_keeps_ten_and_passes if {
	fx.statuses(run([fx.deployment("d", fx.clinical_spec)]), "d") == {"pass"}
}

test_zero_fails_at_the_field if {
	res := run([with_limit(fx.deployment("d", fx.clinical_spec), 0)])
	fx.failed_paths(res) == {"spec.revisionHistoryLimit"}
}

test_jobs_and_research_are_not_examined if {
	research := object.union(with_limit(fx.deployment("r", fx.clinical_spec), 0), {"namespace": "research-ml"})
	count(run([fx.cronjob("cj", fx.clinical_spec), research])) == 0
}
