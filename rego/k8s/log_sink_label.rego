# METADATA
# title: Clinical workloads name their log sink
# description: |
#   The events a clinical AI system logs must reach storage that keeps them for the retention
#   period; the log-sink label tells the collector (and the auditor) where each workload's logs
#   go. Every clinical workload must carry the label (parameter log_sink_label) with a non-empty
#   value on the workload or its pod template.
# scope: package
# custom:
#   id: DXG-K8S-LOG-005
#   family: logging
#   severity: low
#   targets:
#     k8s: [Pod, PodTemplate, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob]
#   parameters: [log_sink_label]
#   scope: object
#   inventory: [Namespace]
#   remediation: Add the log-sink label (default dxguard.io/log-sink) naming the retention-locked log destination to the workload and its pod template.
package dxguard.checks.k8s.log_sink_label

import data.lib.check
import data.lib.k8s
import data.lib.tier

meta := check.meta(rego.metadata.chain())

# The log-sink label of every clinical workload, examined once.
subjects contains check.subject(ps.resource, "metadata.labels", problem(sink(ps))) if {
	some ps in k8s.clinical_pod_specs
}

sink(ps) := object.get(tier.resource_labels(k8s.by_id[ps.resource]), k8s.params.log_sink_label, "")

problem(s) := "" if {
	s != ""
} else := sprintf("clinical workload does not name its log sink; add label %s with the log destination", [k8s.params.log_sink_label])
