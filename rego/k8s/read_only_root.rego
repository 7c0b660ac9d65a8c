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
#   remediation: "Set securityContext.readOnlyRootFilesystem: true on every container and mount an emptyDir (or a volume) where the program must write."
package dxguard.checks.k8s.read_only_root

import data.lib.check
import data.lib.k8s

meta := check.meta(rego.metadata.chain())

results contains check.fail(m, c.resource, path, msg) if {
	m := meta
	some c in k8s.workload_containers
	not c.container.securityContext.readOnlyRootFilesystem == true
	path := concat(".", [c.path, "securityContext.readOnlyRootFilesystem"])
	msg := sprintf("%s has a writable root filesystem; set securityContext.readOnlyRootFilesystem: true and mount an emptyDir where it must write", [c.label])
}

results contains check.pass(m, c.resource, c.path) if {
	m := meta
	some c in k8s.workload_containers
	c.container.securityContext.readOnlyRootFilesystem == true
}
