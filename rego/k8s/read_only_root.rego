# METADATA
# title: Root filesystem is read-only
# description: |
#   A writable root filesystem lets a compromised process replace the validated binaries and
#   models it runs from, so what runs is no longer what was validated. readOnlyRootFilesystem
#   exists only per container; write to mounted volumes (emptyDir for scratch) instead. Init,
#   regular and ephemeral containers are examined; workloads in exempt namespaces (parameter
#   exempt_namespaces) are not.
# scope: package
# custom:
#   id: DXG-K8S-ISO-009
#   family: isolation
#   severity: medium
#   targets:
#     k8s: [Pod, PodTemplate, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob]
#   parameters: [exempt_namespaces]
#   scope: object
#   remediation: "Set securityContext.readOnlyRootFilesystem: true on every container and mount an emptyDir (or a volume) where the program must write."
package dxguard.checks.k8s.read_only_root

import data.lib.check
import data.lib.k8s

meta := check.meta(rego.metadata.chain())

# Every container's readOnlyRootFilesystem setting, examined once.
subjects contains check.subject(c.resource, concat(".", [c.path, "securityContext.readOnlyRootFilesystem"]), problem(c)) if {
	some c in k8s.workload_containers
}

problem(c) := "" if {
	c.container.securityContext.readOnlyRootFilesystem == true
} else := msg if {
	msg := k8s.setting_problem(c.label, "securityContext.readOnlyRootFilesystem", object.get(c.container, ["securityContext", "readOnlyRootFilesystem"], null), "boolean")
} else := sprintf("%s has a writable root filesystem; set securityContext.readOnlyRootFilesystem: true and mount an emptyDir where it must write", [c.label])
