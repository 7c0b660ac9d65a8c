# METADATA
# title: Audit logs are kept as long as the records they protect
# description: |
#   Audit records must outlive the device records they protect: at least the device lifetime,
#   at least the minimum retention (two years by default, ISO 13485 4.2.5) and never less than
#   six months (EU AI Act Art. 19). With a log-file backend, kube-apiserver deletes old files by
#   age (--audit-log-maxage, days; 0 or unset keeps them) and by count (--audit-log-maxbackup;
#   any limit can delete records before their time). Every kube-apiserver with a log-file
#   backend is examined; with only a webhook backend retention lies with the receiver and needs
#   attached evidence. A scan with clinical workloads but no kube-apiserver manifest fails when
#   parameter cluster_evidence is required.
# scope: package
# custom:
#   id: DXG-K8S-LOG-002
#   family: logging
#   severity: medium
#   targets:
#     k8s: [Pod]
#   parameters: [device_lifetime_years, min_log_retention_years, cluster_evidence]
#   scope: cluster
#   inventory: [Pod, Namespace, namespaces]
#   remediation: Set --audit-log-maxage to at least the required days and --audit-log-maxbackup to 0, and ship the files to retention-locked storage; or keep them only in a webhook backend whose retention you attach as evidence.
package dxguard.checks.k8s.audit_retention

import data.lib.check
import data.lib.k8s

meta := check.meta(rego.metadata.chain())

# Required days: the longer of device lifetime and minimum retention, and at least 183 days.
required_days := max({
	ceil(365.25 * k8s.params.device_lifetime_years),
	ceil(365.25 * k8s.params.min_log_retention_years),
	183,
})

file_backends contains c if {
	some c in k8s.apiservers
	fl := k8s.container_flags(c)
	k8s.flag_set(fl, "audit-log-path")
	fl["audit-log-path"].value != "-"
}

int_flag(fl, name) := to_number(fl[name].value) if fl[name]

else := 0

# The retention limits of a kube-apiserver with a log-file backend that delete records too
# early: [flag path, message], one per flag (so each is a subject of its own).
problems(fl) := {[fl["audit-log-maxage"].path, msg] |
	age := int_flag(fl, "audit-log-maxage")
	age > 0
	age < required_days
	msg := sprintf("kube-apiserver deletes audit logs after %v days (--audit-log-maxage), fewer than the %d days required; raise it to at least %d", [age, required_days, required_days])
} | {[fl["audit-log-maxbackup"].path, msg] |
	int_flag(fl, "audit-log-maxbackup") > 0
	msg := sprintf("kube-apiserver keeps only %v rotated audit files (--audit-log-maxbackup), so records can be deleted before %d days; set it to 0 and bound retention by --audit-log-maxage", [fl["audit-log-maxbackup"].value, required_days])
}

# Each kube-apiserver with a log-file backend: each retention flag that deletes records too early
# is a failing subject at that flag; one that has none passes on its command line.
subjects contains check.subject(c.resource, p[0], p[1]) if {
	some c in file_backends
	some p in problems(k8s.container_flags(c))
}

subjects contains check.subject(c.resource, concat(".", [c.path, "command"]), "") if {
	some c in file_backends
	count(problems(k8s.container_flags(c))) == 0
}

# No kube-apiserver at all in a cluster with clinical workloads: the evidence is missing.
subjects contains check.subject(k8s.clinical_anchor, "metadata", msg) if {
	count(k8s.apiservers) == 0
	k8s.cluster_evidence_required
	msg := sprintf("the scan holds clinical workloads but no kube-apiserver manifest, so audit log retention (at least %d days) cannot be confirmed; add the kube-apiserver manifest to the scan, or set parameters.cluster_evidence: when-present and attach retention evidence", [required_days])
}
