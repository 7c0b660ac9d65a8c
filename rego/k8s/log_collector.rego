# METADATA
# title: A log collector runs on every node, clinical nodes included
# description: |
#   Container and node logs leave a node only if a collector runs there: a DaemonSet whose
#   image is a known log collector (parameter log_collectors, matched against the end of the
#   image repository). Each collector DaemonSet is examined and must tolerate the clinical node
#   taint, or the clinical nodes, the ones that matter, go unlogged. When the scan holds
#   clinical workloads but no collector DaemonSet and parameter cluster_evidence is required,
#   the check fails on the first clinical workload: the evidence is missing.
# scope: package
# custom:
#   id: DXG-K8S-LOG-004
#   family: logging
#   severity: medium
#   targets:
#     k8s: [DaemonSet]
#   parameters: [log_collectors, clinical_node_taint, cluster_evidence]
#   remediation: Run a log collector (Fluent Bit, Vector, the OpenTelemetry Collector, …) as a DaemonSet that tolerates the clinical node taint, shipping to retention-locked storage, and include its manifest in the scan.
package dxguard.checks.k8s.log_collector

import data.lib.check
import data.lib.image
import data.lib.k8s

meta := check.meta(rego.metadata.chain())

collectors contains ps if {
	some ps in k8s.pod_specs
	k8s.by_id[ps.resource].kind == "DaemonSet"
	some field in k8s.container_fields
	some c in k8s.arr(ps.spec[field])
	is_collector(object.get(c, "image", ""))
}

is_collector(ref) if {
	repo := image.parse(ref).repository
	some name in k8s.params.log_collectors
	collector_repo(repo, name)
}

collector_repo(repo, name) if repo == name

collector_repo(repo, name) if endswith(repo, concat("", ["/", name]))

results contains check.fail(m, ps.resource, concat(".", [ps.path, "tolerations"]), msg) if {
	m := meta
	some ps in collectors
	taint := k8s.params.clinical_node_taint
	not k8s.toleration_of(ps.spec, taint)
	msg := sprintf("log collector DaemonSet does not tolerate the clinical node taint %s=%s:%s, so clinical nodes go unlogged; add that toleration", [taint.key, object.get(taint, "value", ""), taint.effect])
}

results contains check.pass(m, ps.resource, concat(".", [ps.path, "tolerations"])) if {
	m := meta
	some ps in collectors
	k8s.toleration_of(ps.spec, k8s.params.clinical_node_taint)
}

results contains check.fail(m, k8s.clinical_anchor, "metadata", msg) if {
	m := meta
	count(collectors) == 0
	k8s.cluster_evidence_required
	msg := sprintf("the scan holds clinical workloads but no log collector DaemonSet (images: %s), so their logs may never leave the node; add the collector's manifest to the scan, or set parameters.cluster_evidence: when-present and attach logging evidence", [concat(", ", k8s.params.log_collectors)])
}
