# METADATA
# title: No latest or untagged images
# description: |
#   An image without a tag means :latest, and :latest changes whenever someone pushes. A
#   reference with a digest is immutable and passes; otherwise the tag must be present and not
#   "latest". Every container kind is examined.
# scope: package
# custom:
#   id: DXG-K8S-PIN-002
#   family: pinning
#   severity: medium
#   targets:
#     k8s: [Pod, PodTemplate, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob]
#   scope: object
#   remediation: Use an explicit release tag (and preferably a digest), never :latest or no tag.
package dxguard.checks.k8s.image_tag

import data.lib.check
import data.lib.image
import data.lib.k8s

meta := check.meta(rego.metadata.chain())

# The problem of each image reference of a container that has one, computed once per distinct
# reference.
problems := {ref: problem |
	some ref in k8s.container_images
	problem := tag_problem(ref)
}

# Every container's image, examined once.
subjects contains check.subject(c.resource, concat(".", [c.path, "image"]), problem(c, found)) if {
	found := problems
	some c in k8s.containers
}

problem(c, found) := sprintf("%s image %q %s", [c.label, ref, p]) if {
	ref := object.get(c.container, "image", "")
	p := found[ref]
} else := ""

tag_problem(ref) := "is empty; set the image reference" if {
	ref == ""
} else := "has no tag or digest, so it means :latest; use a release tag and a digest" if {
	parsed := image.parse(ref)
	parsed.tag == ""
	parsed.digest == ""
} else := "uses the mutable tag latest; use a release tag and a digest" if {
	parsed := image.parse(ref)
	parsed.digest == ""
	lower(parsed.tag) == "latest"
}
