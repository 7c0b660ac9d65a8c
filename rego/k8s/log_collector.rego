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
#   scope: cluster
#   inventory: [DaemonSet, Namespace, namespaces]
#   remediation: Run a log collector (Fluent Bit, Vector, the OpenTelemetry Collector, …) as a DaemonSet that tolerates the clinical node taint, shipping to retention-locked storage, and include its manifest in the scan.
package dxguard.checks.k8s.log_collector

import data.lib.check
import data.lib.image
import data.lib.k8s

meta := check.meta(rego.metadata.chain())

# The pod specs of the collector DaemonSets of the inventory.
collectors contains ps if {
	some ds in k8s.of_kind("DaemonSet")
	spec := object.get(ds.object, k8s.pod_spec_keys.DaemonSet, null)
	is_object(spec)
	ps := {"resource": ds.id, "spec": spec, "path": concat(".", k8s.pod_spec_keys.DaemonSet)}
	some field in k8s.container_fields
	some c in k8s.arr_at(spec, [field])
	is_collector(object.get(c, "image", ""))
}

is_collector(ref) if {
	repo := image.parse(ref).repository
	some name in k8s.params.log_collectors
	collector_repo(repo, name)
}

collector_repo(repo, name) if repo == name

collector_repo(repo, name) if endswith(repo, concat("", ["/", name]))

# Each collector's tolerations, examined once.
subjects contains check.subject(ps.resource, concat(".", [ps.path, "tolerations"]), problem(ps)) if {
	some ps in collectors
}

problem(ps) := sprintf("log collector DaemonSet does not tolerate the clinical node taint %s=%s:%s, so clinical nodes go unlogged; add that toleration", [taint.key, object.get(taint, "value", ""), taint.effect]) if {
	taint := k8s.params.clinical_node_taint
	not k8s.toleration_of(ps.spec, taint)
} else := ""

# No collector at all in a cluster with clinical workloads: the evidence is missing.
subjects contains check.subject(k8s.clinical_anchor, "metadata", msg) if {
	count(collectors) == 0
	k8s.cluster_evidence_required
	msg := sprintf("the scan holds clinical workloads but no log collector DaemonSet (images: %s), so their logs may never leave the node; add the collector's manifest to the scan, or set parameters.cluster_evidence: when-present and attach logging evidence", [concat(", ", k8s.params.log_collectors)])
}
