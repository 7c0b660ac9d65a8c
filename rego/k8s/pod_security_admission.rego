# METADATA
# title: Clinical namespaces enforce Pod Security restricted
# description: |
#   The Pod Security admission controller rejects pods that break the restricted profile only
#   in namespaces labelled pod-security.kubernetes.io/enforce=restricted; without the label,
#   one careless manifest can run privileged in a clinical namespace. Each clinical namespace
#   the scan names (by a resource in it or by its Namespace object) is examined. When its
#   Namespace object is not in the scanned set, enforcement cannot be confirmed and the
#   namespace fails on its first workload (evidence missing), never passes silently.
# scope: package
# custom:
#   id: DXG-K8S-ISO-012
#   family: isolation
#   severity: high
#   targets:
#     k8s: [Namespace]
#   scope: cluster
#   inventory: [Namespace, namespaces]
#   remediation: "Label each clinical Namespace pod-security.kubernetes.io/enforce: restricted (with enforce-version: latest or your cluster's version) and include the Namespace object in the scan."
package dxguard.checks.k8s.pod_security_admission

import data.lib.check
import data.lib.k8s

meta := check.meta(rego.metadata.chain())

enforce_label := "pod-security.kubernetes.io/enforce"

# Each clinical namespace, examined once on each of its Namespace objects (its labels), or, when
# the inventory holds none, on its anchor (evidence missing).
subjects contains check.named_subject(k8s.namespace_anchor(ns), "metadata.namespace", ns, msg) if {
	some ns in k8s.clinical_namespaces
	count(k8s.namespace_objects(ns)) == 0
	msg := sprintf("clinical namespace %q has no Namespace object in the scanned set, so Pod Security enforcement cannot be confirmed; add the Namespace with label %s: restricted to the scan", [ns, enforce_label])
}

subjects contains check.named_subject(rec.id, "metadata.labels", ns, problem(ns, rec)) if {
	some ns in k8s.clinical_namespaces
	some rec in k8s.namespace_objects(ns)
}

problem(ns, rec) := sprintf("clinical namespace %q does not enforce Pod Security restricted (%s is %q); label it %s: restricted", [ns, enforce_label, level, enforce_label]) if {
	level := object.get(k8s.obj_at(rec.object, ["metadata", "labels"]), enforce_label, "")
	level != "restricted"
} else := ""
