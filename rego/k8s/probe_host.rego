# METADATA
# title: Probes and lifecycle hooks reach only their own pod
# description: |
#   An httpGet or tcpSocket probe or lifecycle hook with a host makes the kubelet connect to
#   that address from the node, which a pod can use to reach the node's own services or other
#   hosts (Pod Security baseline: Host Probes / Lifecycle Hooks). The host of every
#   livenessProbe, readinessProbe and startupProbe and of every postStart and preStop hook
#   must be unset or empty, on every container (init, regular and ephemeral). Workloads in
#   exempt namespaces (parameter exempt_namespaces) are not examined.
# scope: package
# custom:
#   id: DXG-K8S-ISO-026
#   family: isolation
#   severity: medium
#   targets:
#     k8s: [Pod, PodTemplate, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob]
#   parameters: [exempt_namespaces]
#   scope: object
#   remediation: Remove host from the container's probes and lifecycle hooks, so that the kubelet connects to the pod's own IP.
package dxguard.checks.k8s.probe_host

import data.lib.check
import data.lib.k8s

meta := check.meta(rego.metadata.chain())

# Where a probe or hook can name a host, under a container.
host_fields := [
	["livenessProbe", "httpGet"], ["livenessProbe", "tcpSocket"],
	["readinessProbe", "httpGet"], ["readinessProbe", "tcpSocket"],
	["startupProbe", "httpGet"], ["startupProbe", "tcpSocket"],
	["lifecycle", "postStart", "httpGet"], ["lifecycle", "postStart", "tcpSocket"],
	["lifecycle", "preStop", "httpGet"], ["lifecycle", "preStop", "tcpSocket"],
]

# Every container, examined once: each host it names at its field, or, when it names none, the
# container as one passing subject.
subjects contains check.subject(c.resource, path, msg) if {
	some c in k8s.workload_containers
	some [path, msg] in verdicts(c)
}

verdicts(c) := found if {
	found := [[concat(".", [c.path, concat(".", keys), "host"]), msg] |
		some keys in host_fields
		host := object.get(c.container, array.concat(keys, ["host"]), null)
		msg := host_problem(c.label, concat(".", array.concat(keys, ["host"])), host)
	]
	count(found) > 0
} else := [[c.path, ""]]

host_problem(who, field, v) := msg if {
	msg := k8s.setting_problem(who, field, v, "string")
} else := sprintf("%s %s is %q: the kubelet connects there from the node; remove host so that it connects to the pod", [who, field, k8s.excerpt(v)]) if {
	is_string(v)
	v != ""
}
