# METADATA
# title: No object runs pods that no check examined
# description: |
#   A custom resource can carry a pod template (an operator turns it into pods), and dxguard can
#   only judge pods whose place it knows: the built-in workloads, the well-known custom
#   resources (Argo Rollouts, Knative, OpenShift DeploymentConfigs, KEDA ScaledJobs, Kubeflow
#   training jobs, Ray, Volcano, JobSet, LeaderWorkerSet, OpenKruise) and the kinds the config
#   declares in `workloads`. With parameter unexamined_objects set to fail, every Kubernetes
#   object is examined here: an object of the Kubernetes API itself (its core group, a group
#   without a dot, or one under k8s.io), of a workload kind dxguard reads, of a declared kind,
#   or an admission policy the checks read passes; any other custom resource fails, because
#   nothing examined what it may run. With report (the default) nothing is examined here, and
#   such objects are listed as not examined.
# scope: package
# custom:
#   id: DXG-K8S-ISO-027
#   family: isolation
#   severity: high
#   targets:
#     k8s: [CustomResource]
#   parameters: [unexamined_objects]
#   scope: object
#   remediation: "Declare the kind in the config's workloads with the paths of its pod specs (group, kind, pod_specs: [spec.template.spec]) so that every workload check examines them, or with pod_specs: [] when it runs no pods; or remove the object from the deployment."
package dxguard.checks.k8s.unexamined_objects

import data.lib.check
import data.lib.k8s
import data.lib.workloads

meta := check.meta(rego.metadata.chain())

# Custom resources that checks read (admission policies), by API group.
read_by_checks := {
	"kyverno.io": {"ClusterPolicy", "Policy"},
	"policy.sigstore.dev": {"ClusterImagePolicy"},
}

# Every Kubernetes object under review, examined once at its kind, when the config asks for it.
subjects contains check.subject(res.id, "kind", problem(res)) if {
	k8s.params.unexamined_objects == "fail"
	some res in k8s.resources
}

problem(res) := "" if {
	builtin_group(workloads.api_group(res.apiVersion))
} else := "" if {
	workloads.spec_paths(res)
} else := "" if {
	res.kind in object.get(read_by_checks, workloads.api_group(res.apiVersion), {})
} else := sprintf("%s %q (apiVersion %s) is a custom resource dxguard does not know: if it runs pods, no check examined them; declare its pod spec paths in the config's workloads (pod_specs: [] if it runs none)", [res.kind, object.get(res, "name", "?"), k8s.excerpt(res.apiVersion)])

# A group of the Kubernetes API itself: the core group, a group without a dot (apps, batch,
# policy, …) or one under k8s.io, whose names API review reserves (checker/workloads.py says
# the same).
builtin_group(group) if not contains(group, ".")

builtin_group(group) if endswith(group, ".k8s.io")
