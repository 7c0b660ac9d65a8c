package dxguard.checks.k8s.log_collector_test

import data.dxguard.checks.k8s.log_collector
import data.lib.fixtures_test as fx

collector(image, tolerations) := fx.named("ds", "DaemonSet", "fluent-bit", "kube-system", {
	"apiVersion": "apps/v1",
	"kind": "DaemonSet",
	"spec": {"template": {"spec": {"tolerations": tolerations, "containers": [{"name": "fluent-bit", "image": image}]}}},
})

# A cluster check: it judges the inventory, with no objects in the input.
run(resources) := res if {
	res := fx.rows(log_collector.meta, log_collector.subjects) with data.inventory as fx.inventory_of(resources)
		with data.dxguard.config as fx.config
}

tolerate_all := [{"operator": "Exists"}]

test_collector_tolerating_clinical_nodes_passes if {
	fx.statuses(run([collector("cr.fluentbit.io/fluent/fluent-bit:3.2.2", tolerate_all)]), "ds") == {"pass"}
}

test_collector_kept_off_clinical_nodes_fails if {
	res := run([collector("fluent/fluent-bit:3.2.2", [])])
	fx.failed_paths(res) == {"spec.template.spec.tolerations"}
}

test_other_daemonsets_are_not_collectors if {
	res := run([collector("quay.io/prometheus/node-exporter:v1.8.2", tolerate_all), fx.deployment("d", fx.clinical_spec)])
	some r in res
	r.resource == "d"
	contains(r.message, "no log collector DaemonSet")
}

test_no_collector_without_clinical_workloads_is_not_examined if {
	d := object.union(fx.deployment("d", fx.clinical_spec), {"namespace": "research-ml"})
	count(run([d])) == 0
}
