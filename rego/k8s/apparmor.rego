# METADATA
# title: AppArmor is never disabled
# description: |
#   On nodes with AppArmor the runtime confines every container with its default profile;
#   Unconfined (or an annotation of unconfined) switches that off (Pod Security baseline:
#   AppArmor). appArmorProfile.type must be unset, RuntimeDefault or Localhost on the pod
#   securityContext and on every container (init, regular and ephemeral), and every
#   container.apparmor.security.beta.kubernetes.io/<container> annotation of the pod (or pod
#   template) must be runtime/default or localhost/<profile>. Workloads in exempt namespaces
#   (parameter exempt_namespaces) are not examined.
# scope: package
# custom:
#   id: DXG-K8S-ISO-023
#   family: isolation
#   severity: high
#   targets:
#     k8s: [Pod, PodTemplate, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob]
#   parameters: [exempt_namespaces]
#   scope: object
#   remediation: "Remove the Unconfined profile: set securityContext.appArmorProfile.type: RuntimeDefault (or Localhost with a reviewed profile) and drop container.apparmor.security.beta.kubernetes.io annotations that say unconfined."
package dxguard.checks.k8s.apparmor

import data.lib.check
import data.lib.k8s

meta := check.meta(rego.metadata.chain())

allowed_types := {"RuntimeDefault", "Localhost"}

annotation_prefix := "container.apparmor.security.beta.kubernetes.io/"

# The pod-level profile of every examined pod spec, every container's own, and every AppArmor
# annotation of the pod, each examined once.
subjects contains check.subject(ps.resource, concat(".", [ps.path, "securityContext.appArmorProfile.type"]), problem("pod", ps.spec)) if {
	some ps in k8s.workload_pod_specs
}

subjects contains check.subject(c.resource, concat(".", [c.path, "securityContext.appArmorProfile.type"]), problem(c.label, c.container)) if {
	some c in k8s.workload_containers
}

subjects contains check.subject(ps.resource, sprintf("%s.annotations[%s]", [meta_of.path, key]), annotation_problem(key, value)) if {
	some ps in k8s.workload_pod_specs
	meta_of := k8s.pod_metadata(ps)
	some key, value in k8s.obj(object.get(meta_of.metadata, "annotations", {}))
	startswith(key, annotation_prefix)
}

# Most owners set no profile: nothing else is read then.
problem(who, owner) := "" if {
	profile(owner) == null
} else := msg if {
	msg := k8s.setting_problem(who, "securityContext.appArmorProfile", profile(owner), "object")
} else := msg if {
	msg := k8s.setting_problem(who, "securityContext.appArmorProfile.type", object.get(profile(owner), "type", null), "string")
} else := sprintf("%s sets AppArmor profile type %q, which disables the node's confinement; set securityContext.appArmorProfile.type: RuntimeDefault", [who, k8s.excerpt(t)]) if {
	t := object.get(k8s.obj(profile(owner)), "type", "")
	not t in allowed_types
	profile(owner) != null
} else := ""

profile(owner) := object.get(owner, ["securityContext", "appArmorProfile"], null)

annotation_problem(key, value) := msg if {
	msg := k8s.setting_problem("the pod", concat("", ["annotation ", key]), value, "string")
} else := "" if {
	value in {"", "runtime/default"}
} else := "" if {
	startswith(value, "localhost/")
} else := sprintf("annotation %s is %q, which switches AppArmor off for container %q; remove it or set runtime/default (better: securityContext.appArmorProfile)", [key, k8s.excerpt(value), trim_prefix(key, annotation_prefix)])
