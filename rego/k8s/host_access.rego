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

# Every hostPath volume of an examined pod spec, [pod spec, index, volume], and every host port
# of an examined container, [container, index, port]: each found once, for the fail rules and
# for the pod specs that pass.
host_volumes := [[ps, i, v] |
	some ps in k8s.workload_pod_specs
	volumes := object.get(ps.spec, "volumes", null)
	is_array(volumes)
	some i, v in volumes
	v.hostPath
]

host_ports := [[c, i, p] |
	some c in k8s.workload_containers
	ports := object.get(c.container, "ports", null)
	is_array(ports)
	some i, p in ports
	object.get(p, "hostPort", 0) != 0
]

# The workloads whose pod spec uses the host (each has one pod spec); a host port counts here
# only in a container list that is an array.
host_users := {x[0].resource | some x in host_volumes} | {c.resource |
	some [c, _, _] in host_ports
	is_array(c.pod_spec.spec[c.field])
}

results contains check.fail(m, ps.resource, path, msg) if {
	m := meta
	some [ps, i, v] in host_volumes
	path := sprintf("%s.volumes[%d].hostPath", [ps.path, i])
	msg := sprintf("volume %q mounts the node's path %q (hostPath); use a persistentVolumeClaim, configMap, secret, emptyDir or CSI volume instead", [object.get(v, "name", "?"), object.get(v.hostPath, "path", "?")])
}

results contains check.fail(m, c.resource, path, msg) if {
	m := meta
	some [c, i, p] in host_ports
	path := sprintf("%s.ports[%d].hostPort", [c.path, i])
	msg := sprintf("%s binds host port %v; remove hostPort and expose the port through a Service", [c.label, p.hostPort])
}

results contains check.pass(m, ps.resource, ps.path) if {
	m := meta
	users := host_users
	some ps in k8s.workload_pod_specs
	not ps.resource in users
}
