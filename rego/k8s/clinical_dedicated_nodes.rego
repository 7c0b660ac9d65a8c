# METADATA
# title: Clinical workloads run on the dedicated clinical node pool
# description: |
#   Clinical pods share no node with other workloads: each must require the clinical node
#   labels (nodeSelector, or a required node affinity whose every term demands them) and
#   tolerate the clinical node taint that keeps everything else off those nodes. Each clinical
#   pod spec is examined (tier by namespace or labels).
# scope: package
# custom:
#   id: DXG-K8S-ISO-015
#   family: isolation
#   severity: medium
#   targets:
#     k8s: [Pod, PodTemplate, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob]
#   parameters: [clinical_node_selector, clinical_node_taint]
#   scope: object
#   inventory: [Namespace]
#   remediation: Add the clinical node labels to spec.nodeSelector (or a required node affinity) and a toleration for the clinical node taint to every clinical pod spec.
package dxguard.checks.k8s.clinical_dedicated_nodes

import data.lib.check
import data.lib.k8s

meta := check.meta(rego.metadata.chain())

selector := k8s.params.clinical_node_selector

taint := k8s.params.clinical_node_taint

# Every clinical pod spec, examined once: its node selection (all the node labels it does not
# require, in one message) and its tolerations, each at its field, or, when both are right, the
# pod spec as one passing subject.
subjects contains check.subject(ps.resource, path, msg) if {
	some ps in k8s.clinical_pod_specs
	some [path, msg] in verdicts(ps)
}

verdicts(ps) := found if {
	found := array.concat(selector_problem(ps), toleration_problem(ps))
	count(found) > 0
} else := [[ps.path, ""]]

selector_problem(ps) := [[concat(".", [ps.path, "nodeSelector"]), check.problems(msgs)]] if {
	msgs := [sprintf("clinical pod can be scheduled outside the clinical node pool; require node label %s=%s in nodeSelector or a required node affinity", [k, v]) |
		some k, v in selector
		not k8s.requires_node_label(ps.spec, k, v)
	]
	count(msgs) > 0
} else := []

toleration_problem(ps) := [] if {
	k8s.toleration_of(ps.spec, taint)
} else := [[
	concat(".", [ps.path, "tolerations"]),
	sprintf("clinical pod does not tolerate the clinical node taint %s=%s:%s, so it cannot run on the dedicated pool; add that toleration", [taint.key, object.get(taint, "value", ""), taint.effect]),
]]
