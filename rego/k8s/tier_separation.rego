# METADATA
# title: Clinical and research workloads stay apart
# description: |
#   Validated clinical software and research code must not share a namespace or nodes. A
#   workload labelled research must not live in a clinical namespace, a workload labelled
#   clinical must live in a clinical namespace, and a research pod must neither target the
#   clinical node pool (nodeSelector or node affinity) nor tolerate the clinical node taint.
#   Every pod spec of a clinical or research workload is examined; exempt namespaces
#   (parameter exempt_namespaces) are not.
# scope: package
# custom:
#   id: DXG-K8S-ISO-016
#   family: isolation
#   severity: high
#   targets:
#     k8s: [Pod, PodTemplate, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob]
#   parameters: [exempt_namespaces, clinical_node_selector, clinical_node_taint]
#   scope: object
#   inventory: [Namespace]
#   remediation: Deploy research workloads to research namespaces and nodes only, and clinical workloads to clinical namespaces only; remove clinical node selectors and tolerations from research pods.
package dxguard.checks.k8s.tier_separation

import data.lib.check
import data.lib.k8s
import data.lib.tier

meta := check.meta(rego.metadata.chain())

examined contains ps if {
	some ps in k8s.workload_pod_specs
	tier.of[ps.resource] in {"clinical", "research"}
}

# Every clinical or research pod spec, examined once: each violation at its field (the
# violations at one field in one message), or, when it has none, the pod spec as one passing
# subject.
subjects contains check.subject(ps.resource, path, msg) if {
	some ps in examined
	some [path, msg] in verdicts(ps)
}

verdicts(ps) := found if {
	vs := violations(ps)
	count(vs) > 0
	found := [[path, check.problems(sort({m | some [p, m] in vs; p == path}))] | some path in {p | some [p, _] in vs}]
} else := [[ps.path, ""]]

# The [path, message] of each violation of a pod spec.
violations(ps) := (namespace_violations(ps) | selector_violations(ps)) | toleration_violations(ps)

labels_tier(ps) := tier.labels_tier(tier.resource_labels(k8s.by_id[ps.resource]))

# The tier of the namespace (tier.namespace_tier, looked up: computed once per namespace).
ns_tier(ps) := object.get(tier.namespace_tiers, [k8s.by_id[ps.resource].namespace], "other")

namespace_violations(ps) := {["metadata.namespace", msg]} if {
	labels_tier(ps) == "research"
	ns_tier(ps) == "clinical"
	msg := sprintf("research workload is deployed in clinical namespace %q; deploy it to a research namespace", [k8s.by_id[ps.resource].namespace])
} else := {["metadata.namespace", msg]} if {
	labels_tier(ps) == "clinical"
	ns_tier(ps) != "clinical"
	msg := sprintf("clinical workload is deployed outside the clinical namespaces (namespace %q); deploy it to a clinical namespace", [object.get(k8s.by_id[ps.resource], "namespace", "")])
} else := set()

selector_violations(ps) := {[concat(".", [ps.path, "nodeSelector"]), msg] |
	tier.of[ps.resource] == "research"
	some k, v in k8s.params.clinical_node_selector
	k8s.targets_node_label(ps.spec, k, v)
	msg := sprintf("research pod targets the clinical node pool (node label %s=%s); remove it from nodeSelector and node affinity", [k, v])
}

toleration_violations(ps) := {[sprintf("%s.tolerations[%d]", [ps.path, i]), msg] |
	tier.of[ps.resource] == "research"
	i := k8s.toleration_of(ps.spec, k8s.params.clinical_node_taint)
	msg := "research pod tolerates the clinical node taint, so it may be scheduled beside clinical workloads; remove the toleration"
}
