# METADATA
# title: A seccomp profile confines system calls
# description: |
#   Without a seccomp profile a container may make every system call the kernel offers, which
#   widens the attack surface for container escapes. The effective profile (the container's,
#   else the one inherited from the pod securityContext) must be RuntimeDefault or Localhost;
#   Unconfined or none fails. Init, regular and ephemeral containers are examined; workloads in
#   exempt namespaces (parameter exempt_namespaces) are not.
# scope: package
# custom:
#   id: DXG-K8S-ISO-008
#   family: isolation
#   severity: medium
#   targets:
#     k8s: [Pod, PodTemplate, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob]
#   parameters: [exempt_namespaces]
#   remediation: "Set securityContext.seccompProfile.type: RuntimeDefault in the pod spec (or Localhost with a reviewed profile); never Unconfined."
package dxguard.checks.k8s.seccomp

import data.lib.check
import data.lib.k8s

meta := check.meta(rego.metadata.chain())

confining := {"RuntimeDefault", "Localhost"}

# The effective seccomp profile of each examined container, by its index in
# k8s.workload_containers, and the indexes of the containers it confines: computed once for
# the fail and the pass rule.
profiles := [k8s.effective_security(c, "seccompProfile", {}) | some c in k8s.workload_containers]

confined := {i | some i, profile in profiles; object.get(profile, "type", "") in confining}

results contains check.fail(m, c.resource, path, msg) if {
	m := meta
	confining_ones := confined
	some i, c in k8s.workload_containers
	not i in confining_ones
	profile := profiles[i]
	path := concat(".", [k8s.effective_security_path(c, "seccompProfile"), "type"])
	msg := sprintf("%s runs %s; set securityContext.seccompProfile.type: RuntimeDefault on the pod or the container", [c.label, describe(profile)])
}

results contains check.pass(m, c.resource, c.path) if {
	m := meta
	containers := k8s.workload_containers
	some i in confined
	c := containers[i]
}

describe(profile) := "without a seccomp profile" if object.get(profile, "type", "") == ""

else := sprintf("with seccomp profile type %v, which does not confine system calls", [profile.type])
