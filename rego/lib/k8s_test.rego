package lib.k8s_test

import data.lib.fixtures_test as fx
import data.lib.k8s

test_containers_of_every_list_and_kind if {
	spec := {
		"initContainers": [{"name": "i", "image": "x"}],
		"containers": [{"name": "c", "image": "x"}],
		"ephemeralContainers": [{"name": "e", "image": "x"}],
	}
	paths := {c.path | some c in k8s.containers} with input as fx.input_of([
		fx.deployment("d", spec),
		fx.cronjob("cj", spec),
	])
	paths == {
		"spec.template.spec.initContainers[0]",
		"spec.template.spec.containers[0]",
		"spec.template.spec.ephemeralContainers[0]",
		"spec.jobTemplate.spec.template.spec.initContainers[0]",
		"spec.jobTemplate.spec.template.spec.containers[0]",
		"spec.jobTemplate.spec.template.spec.ephemeralContainers[0]",
	}
}

test_non_workload_kinds_have_no_pod_spec if {
	count(k8s.pod_specs) == 0 with input as fx.input_of([fx.resource("cm", "ConfigMap", {"data": {"spec": {}}})])
}

test_container_setting_overrides_pod_setting if {
	entry := {
		"container": {"securityContext": {"runAsNonRoot": false}},
		"pod_spec": {"spec": {"securityContext": {"runAsNonRoot": true}}},
	}
	k8s.effective_security(entry, "runAsNonRoot", null) == false
}

test_pod_setting_is_inherited if {
	entry := {"container": {}, "pod_spec": {"spec": {"securityContext": {"runAsUser": 0}}}}
	k8s.effective_security(entry, "runAsUser", null) == 0
}

test_fallback_when_nothing_is_set if {
	entry := {"container": {}, "pod_spec": {"spec": {}}}
	k8s.effective_security(entry, "runAsNonRoot", "unset") == "unset"
}
