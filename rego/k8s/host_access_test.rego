package dxguard.checks.k8s.host_access_test

import data.dxguard.checks.k8s.host_access
import data.lib.check
import data.lib.fixtures_test as fx

# The check's rows, as dxguard.main derives them from its subjects.
results := [check.row(host_access.meta, s) | some s in host_access.subjects]

test_pod_spec_without_host_access_passes if {
	res := results with input as fx.input_of([fx.deployment("d", {"containers": [fx.good_container]})])
		with data.dxguard.config as fx.config
	fx.passed_paths(res) == {"spec.template.spec"}
}

test_host_path_volume_fails_at_the_volume if {
	spec := {"containers": [fx.good_container], "volumes": [{"name": "sock", "hostPath": {"path": "/var/run/containerd.sock"}}]}
	res := results with input as fx.input_of([fx.pod("p", spec)]) with data.dxguard.config as fx.config
	fx.failed_paths(res) == {"spec.volumes[0].hostPath"}
	fx.statuses(res, "p") == {"fail"}
}

test_host_port_of_cronjob_init_container_fails if {
	init := object.union(fx.good_container, {"name": "i", "ports": [{"containerPort": 80, "hostPort": 8080}]})
	res := results with input as fx.input_of([fx.cronjob("cj", {"initContainers": [init], "containers": [fx.good_container]})])
		with data.dxguard.config as fx.config
	fx.failed_paths(res) == {"spec.jobTemplate.spec.template.spec.initContainers[0].ports[0].hostPort"}
}

test_exempt_namespace_is_not_examined if {
	p := object.union(fx.pod("p", {"containers": [fx.good_container], "volumes": [{"name": "v", "hostPath": {"path": "/"}}]}), {"namespace": "kube-system"})
	res := results with input as fx.input_of([p]) with data.dxguard.config as fx.config
	count(res) == 0
}

test_host_path_and_host_port_fail_each_and_the_pod_spec_does_not_pass if {
	c := object.union(fx.good_container, {"ports": [{"containerPort": 80, "hostPort": 80}]})
	spec := {"containers": [c], "volumes": [{"name": "logs", "hostPath": {"path": "/var/log"}}]}
	res := results with input as fx.input_of([fx.pod("p", spec)]) with data.dxguard.config as fx.config
	fx.failed_paths(res) == {"spec.volumes[0].hostPath", "spec.containers[0].ports[0].hostPort"}
	fx.statuses(res, "p") == {"fail"}
}
