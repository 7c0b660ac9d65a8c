# METADATA
# title: No sharing of host namespaces
# description: |
#   hostNetwork, hostPID and hostIPC put a pod in the node's network, process or IPC namespace:
#   it can see and reach every other workload on the node. Each pod spec is examined.
#   Workloads in exempt namespaces (parameter exempt_namespaces) are not examined.
# scope: package
# custom:
#   id: DXG-K8S-ISO-002
#   family: isolation
#   severity: high
#   targets:
#     k8s: [Pod, PodTemplate, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob]
#   parameters: [exempt_namespaces]
#   scope: object
#   remediation: Remove hostNetwork, hostPID and hostIPC from the pod spec, or set them to false.
package dxguard.checks.k8s.host_namespaces

import data.lib.check
import data.lib.k8s

meta := check.meta(rego.metadata.chain())

host_fields := ["hostNetwork", "hostPID", "hostIPC"]

# Every examined pod spec, examined once: each host namespace it shares at its field, or, when
# it shares none, the pod spec as one passing subject.
subjects contains check.subject(ps.resource, path, msg) if {
	some ps in k8s.workload_pod_specs
	some [path, msg] in verdicts(ps)
}

verdicts(ps) := found if {
	found := [[concat(".", [ps.path, field]), msg] |
		some field in host_fields
		msg := host_problem(field, object.get(ps.spec, field, null))
	]
	count(found) > 0
} else := [[ps.path, ""]]

host_problem(field, true) := sprintf("pod shares the node's namespace through %s: true; remove it or set it to false", [field])

host_problem(field, v) := k8s.setting_problem("pod", field, v, "boolean")
