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
#   scope: object
#   remediation: Replace hostPath volumes with persistentVolumeClaim, configMap, secret, emptyDir or CSI volumes; expose ports through a Service instead of hostPort.
package dxguard.checks.k8s.host_access

import data.lib.check
import data.lib.k8s

meta := check.meta(rego.metadata.chain())

# Every examined pod spec, examined once: each hostPath volume and each host port of its
# containers at its field, or, when it uses neither, the pod spec as one passing subject.
subjects contains check.subject(ps.resource, path, msg) if {
	some ps in k8s.workload_pod_specs
	some [path, msg] in verdicts(ps)
}

verdicts(ps) := found if {
	found := array.concat(host_volumes(ps), object.get(host_ports_of, k8s.subject_key(ps), []))
	count(found) > 0
} else := [[ps.path, ""]]

host_volumes(ps) := [[concat(".", [ps.path, "volumes"]), msg]] if {
	msg := k8s.setting_problem("pod", "volumes", object.get(ps.spec, "volumes", null), "objects")
} else := [[path, msg] |
	volumes := object.get(ps.spec, "volumes", null)
	is_array(volumes)
	some i, v in volumes
	is_object(v)
	object.get(v, "hostPath", null) != null
	path := sprintf("%s.volumes[%d].hostPath", [ps.path, i])
	msg := sprintf("volume %q mounts the node's path %s (hostPath); use a persistentVolumeClaim, configMap, secret, emptyDir or CSI volume instead", [object.get(v, "name", "?"), k8s.describe(object.get(k8s.obj(v.hostPath), "path", "?"))])
]

# The host ports of the examined containers, by resource (each workload has one pod spec): one
# pass over the containers.
host_ports := array.concat(
	[[k8s.subject_key(c.pod_spec), concat(".", [c.path, "ports"]), msg] |
		some c in k8s.workload_containers
		msg := k8s.setting_problem(c.label, "ports", object.get(c.container, "ports", null), "objects")
	],
	[[k8s.subject_key(c.pod_spec), path, msg] |
		some c in k8s.workload_containers
		ports := object.get(c.container, "ports", null)
		is_array(ports)
		some i, p in ports
		is_object(p)
		not object.get(p, "hostPort", null) in {null, 0}
		path := sprintf("%s.ports[%d].hostPort", [c.path, i])
		msg := port_problem(c, p.hostPort)
	],
)

port_problem(c, port) := msg if {
	msg := k8s.setting_problem(c.label, "hostPort", port, "integer")
} else := sprintf("%s binds host port %v; remove hostPort and expose the port through a Service", [c.label, port])

# The host ports by pod spec (k8s.subject_key: a resource may carry several pod specs), in one
# pass over the containers.
host_ports_of := {key: [[path, msg] | some [key2, path, msg] in found; key2 == key] |
	found := host_ports
	some key in {x[0] | some x in found}
}
