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

# Where a probe or hook can name a host, under a container: the container field it is under,
# the path to the host from there, and that path as text.
host_fields := [{"top": top, "keys": keys, "text": concat(".", keys)} |
	some keys in [
		["livenessProbe", "httpGet", "host"], ["livenessProbe", "tcpSocket", "host"],
		["readinessProbe", "httpGet", "host"], ["readinessProbe", "tcpSocket", "host"],
		["startupProbe", "httpGet", "host"], ["startupProbe", "tcpSocket", "host"],
		["lifecycle", "postStart", "httpGet", "host"], ["lifecycle", "postStart", "tcpSocket", "host"],
		["lifecycle", "preStop", "httpGet", "host"], ["lifecycle", "preStop", "tcpSocket", "host"],
	]
	top := keys[0]
]

# Every container, examined once: each host it names at its field, or, when it names none, the
# container as one passing subject.
subjects contains check.subject(c.resource, path, msg) if {
	fields := host_fields
	some c in k8s.workload_containers
	some [path, msg] in verdicts(c, fields)
}

# Only the fields under a probe or hook the container has are read (most have few or none).
verdicts(c, fields) := found if {
	found := [[concat(".", [c.path, f.text]), msg] |
		some f in fields
		c.container[f.top]
		host := object.get(c.container, f.keys, null)
		msg := host_problem(c.label, f.text, host)
	]
	count(found) > 0
} else := [[c.path, ""]]

host_problem(who, field, v) := msg if {
	msg := k8s.setting_problem(who, field, v, "string")
} else := sprintf("%s %s is %q: the kubelet connects there from the node; remove host so that it connects to the pod", [who, field, k8s.excerpt(v)]) if {
	is_string(v)
	v != ""
}
