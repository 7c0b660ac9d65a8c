package dxguard.checks.k8s.service_account_token_test

import data.dxguard.checks.k8s.service_account_token
import data.lib.check
import data.lib.fixtures_test as fx

# The check's rows, as dxguard.main derives them from its subjects.
results := [check.row(service_account_token.meta, s) | some s in service_account_token.subjects]

sa(automount) := fx.named("sa", "ServiceAccount", "wsi", "clinical", {"apiVersion": "v1", "kind": "ServiceAccount", "automountServiceAccountToken": automount})

# The inventory with that ServiceAccount, as checker/inventory.py files it (kind, namespace, name).
inventory_with(account) := {"k8s": {"ServiceAccount": {"clinical": {"wsi": [account]}}}}

test_pod_that_disables_the_token_passes if {
	res := results with input as fx.input_of([fx.deployment("d", {"automountServiceAccountToken": false, "containers": [fx.good_container]})])
		with data.dxguard.config as fx.config
	fx.statuses(res, "d") == {"pass"}
}

test_default_mounts_a_token_and_fails if {
	res := results with input as fx.input_of([fx.deployment("d", {"containers": [fx.good_container]})])
		with data.dxguard.config as fx.config
	fx.failed_paths(res) == {"spec.template.spec.automountServiceAccountToken"}
	some r in res
	contains(r.message, "clinical/default")
}

test_service_account_object_that_disables_it_is_used if {
	spec := {"serviceAccountName": "wsi", "containers": [fx.good_container]}
	res := results with input as fx.input_of([fx.deployment("d", spec)])
		with data.dxguard.config as fx.config
		with data.inventory as inventory_with(sa(false))
	fx.statuses(res, "d") == {"pass"}
}

test_pod_setting_beats_service_account if {
	spec := {"serviceAccountName": "wsi", "automountServiceAccountToken": true, "containers": [fx.good_container]}
	res := results with input as fx.input_of([fx.deployment("d", spec)])
		with data.dxguard.config as fx.config
		with data.inventory as inventory_with(sa(false))
	fx.statuses(res, "d") == {"fail"}
}

test_allowed_service_account_may_mount if {
	spec := {"serviceAccountName": "wsi", "containers": [fx.good_container]}
	res := results with input as fx.input_of([fx.deployment("d", spec)])
		with data.dxguard.config as fx.config_with({"token_allowed_service_accounts": ["clin*/wsi"]})
		with data.inventory as inventory_with(sa(true))
	fx.statuses(res, "d") == {"pass"}
}

test_service_account_that_mounts_fails_the_pod if {
	spec := {"serviceAccountName": "wsi", "containers": [fx.good_container]}
	res := results with input as fx.input_of([fx.deployment("d", spec)])
		with data.dxguard.config as fx.config
		with data.inventory as inventory_with(sa(true))
	fx.failed_paths(res) == {"spec.template.spec.automountServiceAccountToken"}
}

test_a_service_account_in_the_input_is_not_looked_up if {
	spec := {"serviceAccountName": "wsi", "containers": [fx.good_container]}
	res := results with input as fx.input_of([fx.deployment("d", spec), sa(false)])
		with data.dxguard.config as fx.config
	fx.statuses(res, "d") == {"fail"}
}
