# METADATA
# title: The default /proc mask is kept
# description: |
#   procMount Unmasked exposes /proc paths the runtime masks by default (kernel keys, timers,
#   sysrq triggers), which a process can use to read or tamper with the node (Pod Security:
#   /proc Mount Type). securityContext.procMount must be unset or Default on every container,
#   init, regular and ephemeral, also in a pod with its own user namespace (hostUsers: false),
#   as the restricted profile requires. Workloads in exempt namespaces (parameter
#   exempt_namespaces) are not examined.
# scope: package
# custom:
#   id: DXG-K8S-ISO-021
#   family: isolation
#   severity: high
#   targets:
#     k8s: [Pod, PodTemplate, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob]
#   parameters: [exempt_namespaces]
#   scope: object
#   remediation: Remove securityContext.procMount or set it to Default.
package dxguard.checks.k8s.proc_mount

import data.lib.check
import data.lib.k8s

meta := check.meta(rego.metadata.chain())

# Every container's procMount setting, examined once.
subjects contains check.subject(c.resource, concat(".", [c.path, "securityContext.procMount"]), problem(c)) if {
	some c in k8s.workload_containers
}

problem(c) := msg if {
	msg := k8s.setting_problem(c.label, "securityContext.procMount", mount(c), "string")
} else := sprintf("%s sets securityContext.procMount to %q, which unmasks /proc paths of the node; remove it or set it to Default", [c.label, k8s.excerpt(mount(c))]) if {
	not mount(c) in {null, "Default"}
} else := ""

mount(c) := object.get(c.container, ["securityContext", "procMount"], null)
