# METADATA
# title: Only namespaced, safe sysctls
# description: |
#   A sysctl outside the safe set can change the node's kernel for every pod on it, or disable
#   security mechanisms (Pod Security baseline: Sysctls). Every entry of
#   spec.securityContext.sysctls must name a sysctl of the set Pod Security allows (as of
#   Kubernetes 1.37: kernel.shm_rmid_forced, net.ipv4.ip_local_port_range,
#   net.ipv4.ip_unprivileged_port_start, net.ipv4.ip_local_reserved_ports, net.ipv4.tcp_syncookies,
#   net.ipv4.ping_group_range, net.ipv4.tcp_keepalive_time, net.ipv4.tcp_fin_timeout,
#   net.ipv4.tcp_keepalive_intvl, net.ipv4.tcp_keepalive_probes, net.ipv4.tcp_rmem,
#   net.ipv4.tcp_wmem, net.ipv4.tcp_slow_start_after_idle, net.ipv4.tcp_notsent_lowat), spelled
#   with dots as Pod Security compares it. Each pod spec is examined; workloads in exempt
#   namespaces (parameter exempt_namespaces) are not.
# scope: package
# custom:
#   id: DXG-K8S-ISO-022
#   family: isolation
#   severity: high
#   targets:
#     k8s: [Pod, PodTemplate, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob]
#   parameters: [exempt_namespaces]
#   scope: object
#   remediation: Remove the sysctl from spec.securityContext.sysctls, or tune it on the node pool (kubelet --allowed-unsafe-sysctls is not for clinical pods).
package dxguard.checks.k8s.sysctls

import data.lib.check
import data.lib.k8s

meta := check.meta(rego.metadata.chain())

safe := {
	"kernel.shm_rmid_forced",
	"net.ipv4.ip_local_port_range",
	"net.ipv4.ip_unprivileged_port_start",
	"net.ipv4.ip_local_reserved_ports",
	"net.ipv4.tcp_syncookies",
	"net.ipv4.ping_group_range",
	"net.ipv4.tcp_keepalive_time",
	"net.ipv4.tcp_fin_timeout",
	"net.ipv4.tcp_keepalive_intvl",
	"net.ipv4.tcp_keepalive_probes",
	"net.ipv4.tcp_rmem",
	"net.ipv4.tcp_wmem",
	"net.ipv4.tcp_slow_start_after_idle",
	"net.ipv4.tcp_notsent_lowat",
}

# Every examined pod spec, examined once: each sysctl outside the safe set at its name, or,
# when there is none, the pod spec's sysctls as one passing subject.
subjects contains check.subject(ps.resource, path, msg) if {
	some ps in k8s.workload_pod_specs
	some [path, msg] in verdicts(ps)
}

verdicts(ps) := [[concat(".", [ps.path, "securityContext.sysctls"]), msg]] if {
	msg := k8s.setting_problem("pod", "securityContext.sysctls", sysctls(ps), "objects")
} else := found if {
	found := [[sprintf("%s.securityContext.sysctls[%d].name", [ps.path, i]), msg] |
		some i, s in k8s.arr(sysctls(ps))
		msg := sysctl_problem(object.get(s, "name", null))
	]
	count(found) > 0
} else := [[concat(".", [ps.path, "securityContext.sysctls"]), ""]]

sysctls(ps) := object.get(ps.spec, ["securityContext", "sysctls"], null)

sysctl_problem(name) := msg if {
	msg := k8s.setting_problem("pod", "a sysctl's name", name, "string")
} else := sprintf("pod sets sysctl %q, which is not in the safe set Pod Security allows (it can change the node's kernel for every pod); remove it", [k8s.excerpt(name)]) if {
	is_string(name)
	not name in safe
}
