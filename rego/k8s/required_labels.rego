# METADATA
# title: Clinical workloads carry version, model-version and UDI labels
# description: |
#   What runs must be identifiable as the released device version: the software version, the
#   version of the model it serves (none when it serves no model) and the UDI device identifier.
#   Each label of the required list must be present with a non-empty value on the workload or
#   its pod template. Every clinical workload is examined.
# scope: package
# custom:
#   id: DXG-K8S-PIN-004
#   family: pinning
#   severity: medium
#   targets:
#     k8s: [Pod, PodTemplate, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob]
#   parameters: [required_labels]
#   scope: object
#   inventory: [Namespace]
#   remediation: Add each required label (default app.kubernetes.io/version, dxguard.io/model-version, dxguard.io/udi-di) to the workload's metadata.labels and its pod template labels, from the release record.
package dxguard.checks.k8s.required_labels

import data.lib.check
import data.lib.k8s
import data.lib.tier

meta := check.meta(rego.metadata.chain())

# The labels of every clinical workload, examined once.
subjects contains check.subject(ps.resource, "metadata.labels", problem(missing(ps))) if {
	some ps in k8s.clinical_pod_specs
}

missing(ps) := [l |
	labels := tier.resource_labels(k8s.by_id[ps.resource])
	some l in k8s.params.required_labels
	object.get(labels, l, "") == ""
]

problem(gaps) := "" if {
	count(gaps) == 0
} else := sprintf("clinical workload lacks label(s) %s; add them with the released version, model version and UDI-DI", [concat(", ", gaps)])
