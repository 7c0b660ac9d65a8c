package dxguard.checks.k8s.audit_policy_test

import data.dxguard.checks.k8s.audit_policy
import data.lib.fixtures_test as fx

# A cluster check: it judges the inventory, with no objects in the input.
run(resources) := res if {
	res := fx.rows(audit_policy.meta, audit_policy.subjects) with data.inventory as fx.inventory_of(resources)
		with data.dxguard.config as fx.config
}

secrets_metadata := {"level": "Metadata", "resources": [{"group": "", "resources": ["secrets", "configmaps"]}]}

good_rules := [
	{"level": "None", "users": ["system:kube-proxy"], "verbs": ["watch"], "resources": [{"group": "", "resources": ["endpoints", "services"]}]},
	secrets_metadata,
	{"level": "RequestResponse", "verbs": ["create", "update", "patch", "delete", "deletecollection"], "namespaces": ["clinical"]},
	{"level": "Metadata"},
]

test_recording_policy_passes if {
	run([fx.audit_policy("pol", good_rules)]) == {{"check": "DXG-K8S-LOG-003", "resource": "pol", "path": "rules", "status": "pass"}}
}

test_policy_without_catch_all_fails_at_rules if {
	res := run([fx.audit_policy("pol", [secrets_metadata])])
	fx.failed_paths(res) == {"rules"}
	some r in res
	contains(r.message, "deployments.apps")
}

test_none_rule_for_clinical_workloads_fails_at_its_level if {
	drop := {"level": "None", "resources": [{"group": "apps", "resources": ["deployments"]}]}
	res := run([fx.audit_policy("pol", array.concat([drop], good_rules))])
	fx.failed_paths(res) == {"rules[0].level"}
}

test_secrets_recorded_with_bodies_fail if {
	res := run([fx.audit_policy("pol", [{"level": "RequestResponse"}])])
	fx.failed_paths(res) == {"rules[0].level"}
	some r in res
	contains(r.message, "Secrets")
}

test_narrow_none_rule_leaves_a_gap_for_those_users if {
	drop := {"level": "None", "userGroups": ["system:masters"], "namespaces": ["clinical"]}
	res := run([fx.audit_policy("pol", array.concat([drop], good_rules))])
	some r in res
	r.path == "rules[0].level"
	contains(r.message, "system:masters")
}

test_narrow_request_rule_for_a_secret_name_leaks if {
	leak := {"level": "Request", "resources": [{"group": "", "resources": ["secrets"], "resourceNames": ["tls"]}]}
	res := run([fx.audit_policy("pol", array.concat([leak], good_rules))])
	fx.failed_paths(res) == {"rules[0].level"}
}

test_rules_for_other_groups_and_urls_do_not_match if {
	rules := array.concat(
		[
			{"level": "None", "nonResourceURLs": ["/healthz*"]},
			{"level": "None", "resources": [{"group": "batch"}], "namespaces": ["kube-system"]},
		],
		good_rules,
	)
	fx.statuses(run([fx.audit_policy("pol", rules)]), "pol") == {"pass"}
}

test_apiserver_without_policy_in_scan_fails_at_the_flag if {
	res := run([fx.apiserver("api", fx.audit_flags)])
	fx.failed_paths(res) == {"spec.containers[0].command[1]"}
}

test_missing_policy_and_apiserver_fail_with_clinical_workloads if {
	fx.statuses(run([fx.deployment("d", fx.clinical_spec)]), "d") == {"fail"}
}

test_one_namespace_stands_for_every_unlisted_clinical_namespace if {
	drop := {"level": "None", "resources": [{"group": "apps", "resources": ["deployments"]}]}
	workloads := [
		fx.deployment_in("a", "clinical-a", {}, fx.clinical_spec),
		fx.deployment_in("b", "clinical-b", {}, fx.clinical_spec),
	]
	res := run(array.concat(workloads, [fx.audit_policy("pol", array.concat([drop], good_rules))]))
	some r in res
	r.path == "rules[0].level"
	contains(r.message, "in clinical, clinical-a, clinical-b")
}

test_a_rule_that_drops_writes_for_everyone_and_for_some_names_is_one_failure if {
	# broad for Deployments (the decider), narrow for the Pods named x: two problems, one field
	drop := {"level": "None", "resources": [{"group": "apps", "resources": ["deployments"]}, {"group": "", "resources": ["pods"], "resourceNames": ["x"]}]}
	res := run([fx.audit_policy("pol", array.concat([drop], good_rules))])
	count(res) == 1
	some r in res
	r.path == "rules[0].level"
	contains(r.message, "drops create, delete, deletecollection, patch, update to deployments.apps in clinical")
	contains(r.message, "; audit Policy rule 0 (level None) drops, for resource names [\"x\"], ")
}
