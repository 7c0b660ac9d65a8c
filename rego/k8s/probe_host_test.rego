package dxguard.checks.k8s.probe_host_test

import data.dxguard.checks.k8s.probe_host as check_under_test
import data.lib.fixtures_test as fx

rows(inp) := r if {
	r := fx.rows(check_under_test.meta, check_under_test.subjects) with input as inp
}

test_probes_without_host_pass if {
	c := object.union(fx.good_container, {"livenessProbe": {"httpGet": {"path": "/healthz", "port": 8443}}, "readinessProbe": {"tcpSocket": {"port": 8443, "host": ""}}})
	res := rows(fx.input_of([fx.pod("p", {"containers": [c]})]))
	fx.passed_paths(res) == {"spec.containers[0]"}
}

test_each_host_fails_at_its_field_in_every_container_kind if {
	c := object.union(fx.good_container, {"livenessProbe": {"httpGet": {"host": "169.254.169.254", "port": 80}}, "lifecycle": {"preStop": {"tcpSocket": {"host": "10.0.0.1", "port": 22}}}})
	i := object.union(fx.good_container, {"name": "i", "startupProbe": {"tcpSocket": {"host": "localhost", "port": 10250}}})
	e := object.union(fx.good_container, {"name": "e", "readinessProbe": {"httpGet": {"host": 1, "port": 80}}})
	res := rows(fx.input_of([fx.pod("p", {"initContainers": [i], "containers": [c], "ephemeralContainers": [e]})]))
	fx.failed_paths(res) == {
		"spec.containers[0].livenessProbe.httpGet.host",
		"spec.containers[0].lifecycle.preStop.tcpSocket.host",
		"spec.initContainers[0].startupProbe.tcpSocket.host",
		"spec.ephemeralContainers[0].readinessProbe.httpGet.host",
	}
}
