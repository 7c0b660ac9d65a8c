package dxguard.checks.k8s.apiserver_audit_test

import data.dxguard.checks.k8s.apiserver_audit
import data.lib.fixtures_test as fx

# A cluster check: it judges the inventory, with no objects in the input.
run(resources) := rows_with(resources, fx.config)

rows_with(resources, config) := res if {
	res := fx.rows(apiserver_audit.meta, apiserver_audit.subjects) with data.inventory as fx.inventory_of(resources)
		with data.dxguard.config as config
}

test_policy_file_and_log_backend_pass if {
	fx.passed_paths(run([fx.apiserver("api", fx.audit_flags)])) == {"spec.containers[0].command"}
}

test_webhook_backend_in_separate_arguments_passes if {
	flags := ["--audit-policy-file", "/etc/kubernetes/audit-policy.yaml", "--audit-webhook-config-file", "/etc/kubernetes/audit-webhook.kubeconfig"]
	fx.statuses(run([fx.apiserver("api", flags)]), "api") == {"pass"}
}

test_no_audit_flags_fail_once_with_both_problems if {
	res := run([fx.apiserver("api", ["--secure-port=6443"])])
	count(res) == 1
	some r in res
	r.status == "fail"
	r.message == "kube-apiserver runs without --audit-policy-file, so it records no audit events; set --audit-policy-file to the audit Policy; kube-apiserver has no audit backend; set --audit-log-path to a file (not -) or --audit-webhook-config-file"
}

test_stdout_is_not_a_backend if {
	res := run([fx.apiserver("api", ["--audit-policy-file=/p.yaml", "--audit-log-path=-"])])
	some r in res
	contains(r.message, "no audit backend")
}

test_last_repeated_flag_wins if {
	flags := array.concat(fx.audit_flags, ["--audit-policy-file="])
	fx.statuses(run([fx.apiserver("api", flags)]), "api") == {"fail"}
}

test_missing_apiserver_fails_on_the_first_clinical_workload if {
	res := run([fx.deployment("d", fx.clinical_spec)])
	some r in res
	r.resource == "d"
	contains(r.message, "no kube-apiserver manifest")
}

test_missing_apiserver_is_not_examined_when_evidence_is_attached if {
	res := rows_with([fx.deployment("d", fx.clinical_spec)], fx.config_with({"cluster_evidence": "when-present"}))
	count(res) == 0
}
