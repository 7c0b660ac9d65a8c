# METADATA
# title: The API server writes an audit trail
# description: |
#   Kubernetes records who changed what only when kube-apiserver runs with an audit policy
#   (--audit-policy-file) and a backend: a log file (--audit-log-path, not "-" which is
#   stdout) or a webhook (--audit-webhook-config-file). Every kube-apiserver container of a Pod
#   manifest in the scan is examined. When the scan holds clinical workloads but no
#   kube-apiserver manifest and parameter cluster_evidence is required, the check fails on the
#   first clinical workload: the audit evidence is missing.
# scope: package
# custom:
#   id: DXG-K8S-LOG-001
#   family: logging
#   severity: high
#   targets:
#     k8s: [Pod]
#   parameters: [cluster_evidence]
#   scope: cluster
#   inventory: [Pod, Namespace, namespaces]
#   remediation: Start kube-apiserver with --audit-policy-file=/etc/kubernetes/audit-policy.yaml and --audit-log-path=/var/log/kubernetes/audit/audit.log (or --audit-webhook-config-file), mounting both paths, and include its manifest in the scan.
package dxguard.checks.k8s.apiserver_audit

import data.lib.check
import data.lib.k8s

meta := check.meta(rego.metadata.chain())

# Each kube-apiserver container's command line, examined once, with every problem it has.
subjects contains check.subject(c.resource, command_path(c), problem(c)) if {
	some c in k8s.apiservers
}

problem(c) := check.problems([sprintf("kube-apiserver %s", [msg]) | some msg in problems(k8s.container_flags(c))])

problems(fl) := [msg | some msg in [policy_problem(fl), backend_problem(fl)]; msg != ""]

policy_problem(fl) := "runs without --audit-policy-file, so it records no audit events; set --audit-policy-file to the audit Policy" if {
	not k8s.flag_set(fl, "audit-policy-file")
} else := ""

backend_problem(fl) := "has no audit backend; set --audit-log-path to a file (not -) or --audit-webhook-config-file" if {
	not log_backend(fl)
	not k8s.flag_set(fl, "audit-webhook-config-file")
} else := ""

log_backend(fl) if {
	k8s.flag_set(fl, "audit-log-path")
	fl["audit-log-path"].value != "-"
}

# No kube-apiserver at all in a cluster with clinical workloads: the evidence is missing.
subjects contains check.subject(k8s.clinical_anchor, "metadata", msg) if {
	count(k8s.apiservers) == 0
	k8s.cluster_evidence_required
	msg := "the scan holds clinical workloads but no kube-apiserver manifest, so the cluster's audit trail cannot be confirmed; add /etc/kubernetes/manifests/kube-apiserver.yaml (or the mirror pod) to the scan, or set parameters.cluster_evidence: when-present and attach audit evidence"
}

command_path(c) := concat(".", [c.path, "command"]) if count(k8s.arr_at(c, ["container", "command"])) > 0

else := concat(".", [c.path, "args"])
