package dxguard.checks.k8s.apparmor_test

import data.dxguard.checks.k8s.apparmor as check_under_test
import data.lib.fixtures_test as fx

rows(inp) := r if {
	r := fx.rows(check_under_test.meta, check_under_test.subjects) with input as inp
}

profile(c, t) := object.union(c, {"securityContext": {"appArmorProfile": {"type": t}}})

test_runtime_default_localhost_and_unset_pass if {
	spec := {"securityContext": {"appArmorProfile": {"type": "RuntimeDefault"}}, "containers": [profile(fx.good_container, "Localhost"), object.union(fx.good_container, {"name": "b"})]}
	res := rows(fx.input_of([fx.pod("p", spec)]))
	fx.statuses(res, "p") == {"pass"}
	count(res) == 3
}

test_unconfined_fails_at_the_pod_and_in_every_container_kind if {
	spec := {
		"securityContext": {"appArmorProfile": {"type": "Unconfined"}},
		"initContainers": [profile(object.union(fx.good_container, {"name": "i"}), "Unconfined")],
		"containers": [profile(fx.good_container, "Unconfined")],
		"ephemeralContainers": [profile(object.union(fx.good_container, {"name": "e"}), "Unconfined")],
	}
	fx.failed_paths(rows(fx.input_of([fx.pod("p", spec)]))) == {
		"spec.securityContext.appArmorProfile.type",
		"spec.initContainers[0].securityContext.appArmorProfile.type",
		"spec.containers[0].securityContext.appArmorProfile.type",
		"spec.ephemeralContainers[0].securityContext.appArmorProfile.type",
	}
}

test_an_unconfined_annotation_on_the_pod_template_fails if {
	d := fx.deployment("d", {"containers": [fx.good_container]})
	annotated := object.union(d, {"object": {"spec": {"template": {"metadata": {"annotations": {
		"container.apparmor.security.beta.kubernetes.io/app": "unconfined",
		"container.apparmor.security.beta.kubernetes.io/side": "localhost/wsi",
		"other": "unconfined",
	}}}}}})
	res := rows(fx.input_of([annotated]))
	fx.failed_paths(res) == {"spec.template.metadata.annotations[container.apparmor.security.beta.kubernetes.io/app]"}
	"spec.template.metadata.annotations[container.apparmor.security.beta.kubernetes.io/side]" in fx.passed_paths(res)
}

test_an_annotation_on_a_pod_is_read_from_its_own_metadata if {
	p := object.union(fx.pod("p", {"containers": [fx.good_container]}), {"object": {"metadata": {"annotations": {"container.apparmor.security.beta.kubernetes.io/app": "unconfined"}}}})
	fx.failed_paths(rows(fx.input_of([p]))) == {"metadata.annotations[container.apparmor.security.beta.kubernetes.io/app]"}
}
