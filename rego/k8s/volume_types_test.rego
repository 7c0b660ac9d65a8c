package dxguard.checks.k8s.volume_types_test

import data.dxguard.checks.k8s.volume_types as check_under_test
import data.lib.fixtures_test as fx
import data.lib.k8s

rows(inp) := r if {
	r := fx.rows(check_under_test.meta, check_under_test.subjects) with input as inp
}

with_volumes(vs) := fx.input_of([fx.pod("p", {"containers": [fx.good_container], "volumes": vs})])

test_core_volume_types_pass if {
	res := rows(with_volumes([
		{"name": "a", "emptyDir": {}}, {"name": "b", "configMap": {"name": "c"}},
		{"name": "c", "persistentVolumeClaim": {"claimName": "x"}}, {"name": "d", "projected": {"sources": []}},
		{"name": "e", "csi": {"driver": "x"}}, {"name": "f", "image": {"reference": "r"}}, {"name": "g"},
	]))
	fx.statuses(res, "p") == {"pass"}
	count(res) == 7
}

test_network_and_node_storage_fail_each_at_its_volume if {
	res := rows(with_volumes([{"name": "a", "nfs": {"server": "s", "path": "/"}}, {"name": "b", "gitRepo": {"repository": "r"}}, {"name": "c", "emptyDir": {}}]))
	fx.failed_paths(res) == {"spec.volumes[0]", "spec.volumes[1]"}
}

test_host_path_is_left_to_iso_005 if {
	count(rows(with_volumes([{"name": "a", "hostPath": {"path": "/"}}]))) == 0
}

test_the_restricted_list_is_every_other_volume_source_of_the_api if {
	(k8s.api_fields.V1Volume - check_under_test.allowed) - {"name", "hostPath"} == check_under_test.restricted
}
