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
#   remediation: Remove hostNetwork, hostPID and hostIPC from the pod spec, or set them to false.
package dxguard.checks.k8s.host_namespaces

import data.lib.check
import data.lib.k8s

meta := check.meta(rego.metadata.chain())

host_fields := ["hostNetwork", "hostPID", "hostIPC"]

# Every host namespace an examined pod spec shares, [pod spec, field], found once for the fail
# rule and for the pod specs that pass.
shared := [[ps, field] |
	some ps in k8s.workload_pod_specs
	some field in host_fields
	ps.spec[field] == true
]

sharing := {x[0].resource | some x in shared}

results contains check.fail(m, ps.resource, path, msg) if {
	m := meta
	some [ps, field] in shared
	path := concat(".", [ps.path, field])
	msg := sprintf("pod shares the node's namespace through %s: true; remove it or set it to false", [field])
}

results contains check.pass(m, ps.resource, ps.path) if {
	m := meta
	ids := sharing
	some ps in k8s.workload_pod_specs
	not ps.resource in ids
}
