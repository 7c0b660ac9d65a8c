# METADATA
# title: Clinical rollouts keep revisions to roll back to
# description: |
#   A controlled update needs a way back to the validated previous release. Deployments,
#   StatefulSets and DaemonSets keep old revisions for rollback up to revisionHistoryLimit
#   (10 when unset); a limit of 0 or below the configured minimum removes that path. Every
#   clinical Deployment, StatefulSet and DaemonSet is examined.
# scope: package
# custom:
#   id: DXG-K8S-PIN-005
#   family: pinning
#   severity: low
#   targets:
#     k8s: [Deployment, StatefulSet, DaemonSet]
#   parameters: [min_revision_history]
#   scope: object
#   inventory: [Namespace]
#   remediation: Set spec.revisionHistoryLimit to at least the configured minimum (or leave it unset for the default of 10).
package dxguard.checks.k8s.revision_history

import data.lib.check
import data.lib.k8s

meta := check.meta(rego.metadata.chain())

rollout_kinds := {"Deployment", "StatefulSet", "DaemonSet"}

# Kubernetes keeps 10 revisions when revisionHistoryLimit is unset.
default_limit := 10

# The revision history of every clinical Deployment, StatefulSet and DaemonSet, examined once.
subjects contains check.subject(res.id, "spec.revisionHistoryLimit", problem(res)) if {
	some ps in k8s.clinical_pod_specs
	res := k8s.by_id[ps.resource]
	res.kind in rollout_kinds
}

limit(res) := v if {
	v := object.get(res.object, ["spec", "revisionHistoryLimit"], null)
	v != null
} else := default_limit

problem(res) := msg if {
	msg := k8s.setting_problem(res.kind, "spec.revisionHistoryLimit", limit(res), "integer")
} else := "" if {
	is_number(limit(res))
	limit(res) >= k8s.params.min_revision_history
} else := sprintf("%s keeps %v old revision(s) (revisionHistoryLimit), fewer than the %d needed to roll back to a validated release; raise spec.revisionHistoryLimit", [res.kind, limit(res), k8s.params.min_revision_history])
