package dxguard.checks.k8s.apiserver_audit_test

import data.dxguard.checks.k8s.apiserver_audit
import data.lib.fixtures_test as fx

run(resources) := res if {
	res := apiserver_audit.results with input as fx.input_of(resources) with data.dxguard.config as fx.config
}

test_policy_file_and_log_backend_pass if {
	fx.passed_paths(run([fx.apiserver("api", fx.audit_flags)])) == {"spec.containers[0].command"}
}

test_webhook_backend_in_separate_arguments_passes if {
	flags := ["--audit-policy-file", "/etc/kubernetes/audit-policy.yaml", "--audit-webhook-config-file", "/etc/kubernetes/audit-webhook.kubeconfig"]
	fx.statuses(run([fx.apiserver("api", flags)]), "api") == {"pass"}
}

test_no_audit_flags_fail_twice if {
	res := run([fx.apiserver("api", ["--secure-port=6443"])])
	count(res) == 2
	fx.statuses(res, "api") == {"fail"}
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
	res := apiserver_audit.results with input as fx.input_of([fx.deployment("d", fx.clinical_spec)])
		with data.dxguard.config as fx.config_with({"cluster_evidence": "when-present"})
	count(res) == 0
}
