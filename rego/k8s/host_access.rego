# METADATA
# title: No hostPath volumes or host ports
# description: |
#   A hostPath volume exposes the node's filesystem to the pod (container runtime sockets,
#   kubelet credentials, other pods' data); a hostPort binds the node's own network interface
#   and bypasses NetworkPolicies. Each pod spec is examined, every volume and every container
#   port (init and regular containers). Workloads in exempt namespaces (parameter
#   exempt_namespaces) are not examined.
# scope: package
# custom:
#   id: DXG-K8S-ISO-005
#   family: isolation
#   severity: high
#   targets:
#     k8s: [Pod, PodTemplate, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob]
#   parameters: [exempt_namespaces]
#   remediation: Replace hostPath volumes with persistentVolumeClaim, configMap, secret, emptyDir or CSI volumes; expose ports through a Service instead of hostPort.
package dxguard.checks.k8s.host_access

import data.lib.check
import data.lib.k8s

meta := check.meta(rego.metadata.chain())

results contains check.fail(meta, ps.resource, path, msg) if {
	some ps in k8s.workload_pod_specs
	some i, v in k8s.arr_at(ps, ["spec", "volumes"])
	v.hostPath
	path := sprintf("%s.volumes[%d].hostPath", [ps.path, i])
	msg := sprintf("volume %q mounts the node's path %q (hostPath); use a persistentVolumeClaim, configMap, secret, emptyDir or CSI volume instead", [object.get(v, "name", "?"), object.get(v.hostPath, "path", "?")])
}

results contains check.fail(meta, c.resource, path, msg) if {
	some c in k8s.workload_containers
	some i, p in k8s.arr_at(c, ["container", "ports"])
	object.get(p, "hostPort", 0) != 0
	path := sprintf("%s.ports[%d].hostPort", [c.path, i])
	msg := sprintf("%s binds host port %v; remove hostPort and expose the port through a Service", [c.label, p.hostPort])
}

results contains check.pass(meta, ps.resource, ps.path) if {
	some ps in k8s.workload_pod_specs
	not uses_host(ps)
}

uses_host(ps) if {
	some v in k8s.arr_at(ps, ["spec", "volumes"])
	v.hostPath
}

uses_host(ps) if {
	some field in k8s.container_fields
	some c in k8s.arr(ps.spec[field])
	some p in k8s.arr_at(c, ["ports"])
	object.get(p, "hostPort", 0) != 0
}
