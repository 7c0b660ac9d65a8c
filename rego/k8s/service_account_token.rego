# METADATA
# title: No automatically mounted API token unless allowed
# description: |
#   Every pod gets a token for its service account mounted by default; a compromised process can
#   then talk to the Kubernetes API with that account's rights. The effective setting is the pod
#   spec's automountServiceAccountToken, else its ServiceAccount's (looked up in the scan by
#   namespace and name), else true. A pod may mount a token only when its service account is on
#   the allow-list (parameter token_allowed_service_accounts, namespace/name). Each pod spec is
#   examined; workloads in exempt namespaces (parameter exempt_namespaces) are not.
# scope: package
# custom:
#   id: DXG-K8S-ISO-010
#   family: isolation
#   severity: medium
#   targets:
#     k8s: [Pod, PodTemplate, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, ServiceAccount]
#   parameters: [exempt_namespaces, token_allowed_service_accounts]
#   scope: object
#   inventory: [ServiceAccount]
#   remediation: "Set automountServiceAccountToken: false in the pod spec (or on its ServiceAccount); if the workload must call the API, add namespace/serviceaccount to token_allowed_service_accounts and bind it to a minimal Role."
package dxguard.checks.k8s.service_account_token

import data.lib.check
import data.lib.k8s

meta := check.meta(rego.metadata.chain())

# Every examined pod spec's API-token mount, examined once.
subjects contains check.subject(ps.resource, concat(".", [ps.path, "automountServiceAccountToken"]), problem(ps, account_of(ps))) if {
	some ps in k8s.workload_pod_specs
}

problem(ps, account) := msg if {
	msg := k8s.setting_problem("pod", "automountServiceAccountToken", object.get(ps.spec, "automountServiceAccountToken", null), "boolean")
} else := sprintf("pod mounts an API token for service account %s/%s; set automountServiceAccountToken: false, or allow the account in token_allowed_service_accounts", [account.namespace, account.name]) if {
	mounts(ps, account)
	not allowed(account)
} else := ""

account_of(ps) := {
	"namespace": k8s.ns_or_empty(k8s.by_id[ps.resource].namespace),
	"name": name,
} if {
	name := object.get(ps.spec, "serviceAccountName", object.get(ps.spec, "serviceAccount", "default"))
}

# The pod spec's own setting wins; else every ServiceAccount object of that name (in the
# inventory) must disable it.
mounts(ps, _) if ps.spec.automountServiceAccountToken == true

mounts(ps, account) if {
	not is_boolean(object.get(ps.spec, "automountServiceAccountToken", null))
	not account_disables(account)
}

account_disables(account) if {
	objects := k8s.lookup("ServiceAccount", account.namespace, account.name)
	count(objects) > 0
	every sa in objects {
		sa.object.automountServiceAccountToken == false
	}
}

allowed(account) if {
	some pattern in k8s.params.token_allowed_service_accounts
	glob.match(pattern, ["/"], concat("/", [account.namespace, account.name]))
}
