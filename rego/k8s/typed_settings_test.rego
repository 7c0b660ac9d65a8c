# A security setting whose value is not of its API type (privileged: "true", runAsUser: "0",
# hostNetwork: "yes", a capability list written as one string) is rejected by the API server.
# No check may read it as unset and pass: each check that reads the setting fails it, and
# ISO-019 (api_fields_test.rego) names the type the API expects.
package dxguard.checks.k8s.typed_settings_test

import data.dxguard.checks.k8s.capabilities
import data.dxguard.checks.k8s.host_access
import data.dxguard.checks.k8s.host_namespaces
import data.dxguard.checks.k8s.privilege_escalation
import data.dxguard.checks.k8s.privileged
import data.dxguard.checks.k8s.read_only_root
import data.dxguard.checks.k8s.revision_history
import data.dxguard.checks.k8s.run_as_non_root
import data.dxguard.checks.k8s.seccomp
import data.dxguard.checks.k8s.service_account_token
import data.lib.fixtures_test as fx

with_sc(sc) := object.union(fx.good_container, {"securityContext": sc})

pod_with(container) := fx.input_of([fx.pod("p", {"containers": [container]})])

failures(meta, subjects) := {r.path: r.message | some r in fx.rows(meta, subjects); r.status == "fail"}

test_a_mistyped_privileged_flag_fails_never_passes if {
	some v in ["true", "True", 1, ["true"], {"value": true}]
	f := failures(privileged.meta, privileged.subjects) with input as pod_with(with_sc({"privileged": v}))
	contains(f["spec.containers[0].securityContext.privileged"], "not a boolean")
}

test_a_quoted_host_namespace_flag_fails_never_passes if {
	some field in ["hostNetwork", "hostPID", "hostIPC"]
	spec := {"containers": [fx.good_container], field: "yes"}
	f := failures(host_namespaces.meta, host_namespaces.subjects) with input as fx.input_of([fx.pod("p", spec)])
	contains(f[concat(".", ["spec", field])], `sets `)
	contains(f[concat(".", ["spec", field])], `to the string "yes", not a boolean`)
}

test_a_quoted_uid_zero_fails_never_passes if {
	some sc in [{"runAsUser": "0", "runAsNonRoot": true}, {"runAsUser": 0.5, "runAsNonRoot": true}]
	f := failures(run_as_non_root.meta, run_as_non_root.subjects) with input as pod_with(with_sc(sc))
	contains(f["spec.containers[0].securityContext.runAsUser"], "not an integer")
}

test_a_quoted_run_as_non_root_fails_with_its_type if {
	f := failures(run_as_non_root.meta, run_as_non_root.subjects) with input as pod_with(with_sc({"runAsNonRoot": "true", "runAsUser": 1000}))
	contains(f["spec.containers[0].securityContext.runAsNonRoot"], `the string "true", not a boolean`)
}

test_a_null_container_uid_inherits_the_pods_root_uid if {
	spec := {"securityContext": {"runAsUser": 0}, "containers": [with_sc({"runAsUser": null, "runAsNonRoot": null})]}
	f := failures(run_as_non_root.meta, run_as_non_root.subjects) with input as fx.input_of([fx.pod("p", spec)])
	contains(f["spec.containers[0].securityContext.runAsUser"], "runs as UID 0")
}

test_a_capability_list_written_as_a_string_fails_never_passes if {
	some [caps, field] in [
		[{"drop": "ALL"}, "capabilities.drop"],
		[{"drop": ["ALL"], "add": "SYS_ADMIN"}, "capabilities.add"],
		[{"drop": ["ALL"], "add": [["SYS_ADMIN"]]}, "capabilities.add"],
		["ALL", "capabilities"],
	]
	f := failures(capabilities.meta, capabilities.subjects) with input as pod_with(with_sc({"capabilities": caps}))
	contains(f[concat(".", ["spec.containers[0].securityContext", field])], "the API server rejects it")
}

test_a_seccomp_profile_written_as_a_string_fails_never_passes if {
	spec := {"securityContext": {"seccompProfile": "RuntimeDefault"}, "containers": [fx.good_container]}
	f := failures(seccomp.meta, seccomp.subjects) with input as fx.input_of([fx.pod("p", spec)])
	contains(f["spec.securityContext.seccompProfile.type"], `seccompProfile set to the string "RuntimeDefault", not a mapping`)
}

test_quoted_escalation_and_read_only_flags_fail_with_their_type if {
	c := with_sc({"allowPrivilegeEscalation": "false", "readOnlyRootFilesystem": "true"})
	e := failures(privilege_escalation.meta, privilege_escalation.subjects) with input as pod_with(c)
	contains(e["spec.containers[0].securityContext.allowPrivilegeEscalation"], "not a boolean")
	r := failures(read_only_root.meta, read_only_root.subjects) with input as pod_with(c)
	contains(r["spec.containers[0].securityContext.readOnlyRootFilesystem"], "not a boolean")
}

test_a_quoted_host_port_and_a_ports_mapping_fail if {
	quoted := object.union(fx.good_container, {"ports": [{"containerPort": 80, "hostPort": "80"}]})
	f := failures(host_access.meta, host_access.subjects) with input as pod_with(quoted)
	contains(f["spec.containers[0].ports[0].hostPort"], `the string "80", not an integer`)
	mapping := object.union(fx.good_container, {"ports": {"containerPort": 80, "hostPort": 80}})
	g := failures(host_access.meta, host_access.subjects) with input as pod_with(mapping)
	contains(g["spec.containers[0].ports"], "not a list of mappings")
	volumes := fx.input_of([fx.pod("p", {"containers": [fx.good_container], "volumes": {"hostPath": {"path": "/"}}})])
	h := failures(host_access.meta, host_access.subjects) with input as volumes
	contains(h["spec.volumes"], "not a list of mappings")
}

test_a_quoted_token_flag_fails_with_its_type if {
	spec := {"automountServiceAccountToken": "false", "containers": [fx.good_container]}
	f := failures(service_account_token.meta, service_account_token.subjects) with input as fx.input_of([fx.pod("p", spec)])
	contains(f["spec.automountServiceAccountToken"], `the string "false", not a boolean`)
}

test_a_quoted_revision_history_limit_fails_never_passes if {
	d := object.union(fx.deployment("d", fx.clinical_spec), {"object": {"spec": {"revisionHistoryLimit": "5"}}})
	f := failures(revision_history.meta, revision_history.subjects) with input as fx.input_of([d]) with data.dxguard.config as fx.config
	contains(f["spec.revisionHistoryLimit"], "not an integer")
}
