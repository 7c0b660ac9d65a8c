# METADATA
# title: Images are pinned by digest
# description: |
#   A tag can be moved to different content at any time; only a content digest
#   (image@sha256:...) identifies exactly the software that was validated. Every container kind
#   is examined.
# scope: package
# custom:
#   id: DXG-K8S-PIN-001
#   family: pinning
#   severity: high
#   targets:
#     k8s: [Pod, PodTemplate, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob]
#   scope: object
#   remediation: Reference the image by digest, e.g. registry.example/app:1.4.2@sha256:<64 hex>; resolve the digest from your registry or build output.
package dxguard.checks.k8s.image_digest

import data.lib.check
import data.lib.image
import data.lib.k8s

meta := check.meta(rego.metadata.chain())

# The image references of containers that are pinned by digest, computed once per distinct
# reference.
pinned := {ref | some ref in k8s.container_images; image.pinned(ref)}

# Every container's image, examined once.
subjects contains check.subject(c.resource, concat(".", [c.path, "image"]), problem(c, pinned_refs)) if {
	pinned_refs := pinned
	some c in k8s.containers
}

problem(c, pinned_refs) := "" if {
	object.get(c.container, "image", "") in pinned_refs
} else := sprintf("%s image %q is not pinned by a sha256 digest; reference it as name@sha256:<digest>", [c.label, object.get(c.container, "image", "")])
