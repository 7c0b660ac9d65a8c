# METADATA
# title: Only core volume types
# description: |
#   Volumes of network or node storage (nfs, iscsi, rbd, cephfs, flexVolume, gitRepo, the
#   cloud disks, …) mount storage directly into the pod, outside the PersistentVolume and CSI
#   controls the platform reviews (Pod Security restricted: Volume Types). Every volume must be
#   one of configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim,
#   projected or secret. hostPath volumes are DXG-K8S-ISO-005's to judge; a field the API does
#   not define is DXG-K8S-ISO-019's. Workloads in exempt namespaces (parameter
#   exempt_namespaces) are not examined.
# scope: package
# custom:
#   id: DXG-K8S-ISO-025
#   family: isolation
#   severity: medium
#   targets:
#     k8s: [Pod, PodTemplate, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob]
#   parameters: [exempt_namespaces]
#   scope: object
#   remediation: Move the storage behind a PersistentVolume (mounted through a persistentVolumeClaim) or a CSI driver, or use configMap, secret, projected, downwardAPI, emptyDir or ephemeral volumes.
package dxguard.checks.k8s.volume_types

import data.lib.check
import data.lib.k8s

meta := check.meta(rego.metadata.chain())

allowed := {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "image", "persistentVolumeClaim", "projected", "secret"}

# Volume sources the API defines that Pod Security restricted does not allow (hostPath aside;
# a rego test keeps this equal to the API's volume sources outside the allowed ones).
restricted := {
	"awsElasticBlockStore", "azureDisk", "azureFile", "cephfs", "cinder", "fc", "flexVolume",
	"flocker", "gcePersistentDisk", "gitRepo", "glusterfs", "iscsi", "nfs", "photonPersistentDisk",
	"portworxVolume", "quobyte", "rbd", "scaleIO", "storageos", "vsphereVolume",
}

# Every volume of every examined pod spec (but hostPath ones), examined once.
subjects contains check.subject(ps.resource, sprintf("%s.volumes[%d]", [ps.path, i]), problem(v)) if {
	some ps in k8s.workload_pod_specs
	some i, v in k8s.arr(object.get(ps.spec, "volumes", null))
	is_object(v)
	object.get(v, "hostPath", null) == null
}

problem(v) := sprintf("volume %q is of type %s, which Pod Security restricted does not allow; use a persistentVolumeClaim or a CSI volume instead", [k8s.excerpt(sprintf("%v", [object.get(v, "name", "?")])), concat(", ", sort(kinds))]) if {
	kinds := {k | some k, source in v; k in restricted; source != null}
	count(kinds) > 0
} else := ""
