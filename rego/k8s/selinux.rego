# METADATA
# title: No custom SELinux options
# description: |
#   A custom SELinux type, user or role can lift the confinement the runtime's SELinux policy
#   gives containers (Pod Security baseline: SELinux). seLinuxOptions.type must be unset or one
#   of container_t, container_init_t, container_kvm_t and container_engine_t, and user and role
#   must be unset, on the pod securityContext and on every container (init, regular and
#   ephemeral). Workloads in exempt namespaces (parameter exempt_namespaces) are not examined.
# scope: package
# custom:
#   id: DXG-K8S-ISO-024
#   family: isolation
#   severity: high
#   targets:
#     k8s: [Pod, PodTemplate, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob]
#   parameters: [exempt_namespaces]
#   scope: object
#   remediation: Remove seLinuxOptions.user and .role and set .type only to container_t, container_init_t, container_kvm_t or container_engine_t (or leave seLinuxOptions out and let the runtime choose).
package dxguard.checks.k8s.selinux

import data.lib.check
import data.lib.k8s

meta := check.meta(rego.metadata.chain())

allowed_types := {"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"}

# The pod-level options of every examined pod spec and every container's own, examined once.
subjects contains check.subject(ps.resource, concat(".", [ps.path, "securityContext.seLinuxOptions"]), problem("pod", ps.spec)) if {
	some ps in k8s.workload_pod_specs
}

subjects contains check.subject(c.resource, concat(".", [c.path, "securityContext.seLinuxOptions"]), problem(c.label, c.container)) if {
	some c in k8s.workload_containers
}

# Most owners set no options: nothing else is read then.
problem(who, owner) := "" if {
	options(owner) == null
} else := msg if {
	msg := k8s.setting_problem(who, "securityContext.seLinuxOptions", options(owner), "object")
} else := check.problems(found) if {
	found := [msg |
		some field in ["type", "user", "role"]
		msg := field_problem(who, field, object.get(k8s.obj(options(owner)), field, null))
	]
	count(found) > 0
} else := ""

options(owner) := object.get(owner, ["securityContext", "seLinuxOptions"], null)

field_problem(who, field, v) := msg if {
	msg := k8s.setting_problem(who, concat(".", ["securityContext.seLinuxOptions", field]), v, "string")
} else := sprintf("%s sets SELinux type %q, which is not a container type; use container_t (or leave it unset)", [who, k8s.excerpt(v)]) if {
	field == "type"
	is_string(v)
	not v in allowed_types
} else := sprintf("%s sets SELinux %s %q, which may lift the container's confinement; remove it", [who, field, k8s.excerpt(v)]) if {
	field in {"user", "role"}
	is_string(v)
	v != ""
}
