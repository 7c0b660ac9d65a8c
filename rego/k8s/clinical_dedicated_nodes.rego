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

results contains check.fail(m, ps.resource, concat(".", [ps.path, "nodeSelector"]), msg) if {
	m := meta
	some ps in k8s.clinical_pod_specs
	some k, v in selector
	not k8s.requires_node_label(ps.spec, k, v)
	msg := sprintf("clinical pod can be scheduled outside the clinical node pool; require node label %s=%s in nodeSelector or a required node affinity", [k, v])
}

results contains check.fail(m, ps.resource, concat(".", [ps.path, "tolerations"]), msg) if {
	m := meta
	some ps in k8s.clinical_pod_specs
	not k8s.toleration_of(ps.spec, taint)
	msg := sprintf("clinical pod does not tolerate the clinical node taint %s=%s:%s, so it cannot run on the dedicated pool; add that toleration", [taint.key, object.get(taint, "value", ""), taint.effect])
}

results contains check.pass(m, ps.resource, ps.path) if {
	m := meta
	some ps in k8s.clinical_pod_specs
	every k, v in selector {
		k8s.requires_node_label(ps.spec, k, v)
	}
	k8s.toleration_of(ps.spec, taint)
}
