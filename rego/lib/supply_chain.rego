# METADATA
# title: Supply-chain join helpers
# description: |
#   The join between what runs (every image a Kubernetes workload container or a VM disk
#   references) and the evidence about it (image records, one per manifest digest, built by the
#   loaders from scan reports, SBOMs, signatures, provenance and inspections). Both sides of the
#   join that are not under review come from the inventory (data.inventory): a workload's
#   reference is looked up in `images` (evidence record ids by digest), an image record's users
#   in `image_users` (ids of the workloads and VMs naming its digest). So one object judged
#   alone gets the same verdict as in a whole scan, and the join is a key lookup per reference,
#   never a cartesian product. Image checks examine the records in scope: those a workload or
#   VM references by digest, or every record when nothing in the inventory references an image
#   (an evidence-only run, e.g. in the pipeline that builds the image).
package lib.supply_chain

import data.dxguard.config
import data.lib.image
import data.lib.inventory
import data.lib.k8s
import data.lib.tier

# The image evidence records under review (input.resources), one per manifest digest.
records contains res if {
	some res in input.resources
	res.family == "image"
}

# The tier of every resource under review, materialised once per query.
tier_of := tier.of

# Every image reference of a workload container under review (init, regular, ephemeral; every
# workload kind).
references contains {
	"resource": c.resource,
	"path": concat(".", [c.path, "image"]),
	"image": ref,
	"digest": digest_of(ref),
	"label": c.label,
} if {
	some c in k8s.containers
	ref := object.get(c.container, "image", "")
	is_string(ref)
	ref != ""
}

# Every OCI image a VM under review boots from (e.g. a KubeVirt containerDisk), as its loader
# normalizes it into normalized.disks[].image.
references contains {
	"resource": res.id,
	"path": sprintf("normalized.disks[%d].image", [i]),
	"image": ref,
	"digest": digest_of(ref),
	"label": sprintf("disk %q", [object.get(disk, "name", sprintf("%d", [i]))]),
} if {
	some res in input.resources
	res.family == "vm"
	some i, disk in object.get(res, ["normalized", "disks"], [])
	ref := object.get(disk, "image", "")
	is_string(ref)
	ref != ""
}

# The well-formed sha256 digest a reference pins, or "" for a tag-only (unmatchable) reference.
digest_of(ref) := d if {
	d := image.digest_of(ref)
	regex.match(image.digest_pattern, d)
} else := ""

# True when the inventory holds an image evidence record about the digest.
has_evidence(digest) if count(inventory.evidence_of(digest)) > 0

# The ids of the workloads and VMs of the inventory that use a record's digest.
users(res) := inventory.users_of(res.normalized.digest) if {
	is_string(res.normalized.digest)
	res.normalized.digest != ""
} else := []

# The image records the image checks examine: those some workload or VM of the inventory uses,
# or every record when nothing in the inventory references an image.
in_scope contains res if {
	some res in records
	count(users(res)) > 0
}

in_scope contains res if {
	not inventory.any_image_references
	some res in records
}

# True when the tier of the resource must have evidence for its images.
evidence_required(resource_id) if tier_of[resource_id] in config.parameters.image_evidence_tiers

# The resources whose tier must have evidence for their images, computed once per query (read
# this in a loop over references instead of calling evidence_required).
evidence_required_ids := {id | some id, t in tier_of; t in config.parameters.image_evidence_tiers}

# How a message names an image record: repository@digest.
label(res) := sprintf("image %s", [res.name])

# Who runs the image, for messages: "used by 1 resource" / "used by 3 resources".
usage(res) := sprintf("used by %d resource%s", [n, plural(n)]) if {
	n := count(users(res))
	n > 0
} else := "not referenced by any workload or VM in this input"

plural(1) := ""

plural(n) := "s" if n != 1

# The run's evaluation time (dxguard passes --as-of, or now, as RFC 3339 UTC).
as_of_ns := time.parse_rfc3339_ns(input.context.as_of)

# Nanoseconds per day, for age thresholds.
day_ns := ((24 * 60) * 60) * 1000000000

# Age in whole days, rounded down, of an RFC 3339 time relative to the as-of time.
age_days(t) := floor((as_of_ns - time.parse_rfc3339_ns(t)) / day_ns)

# The first n items of a sorted list, joined, with "and N more" when there are more.
sample(items, n) := concat(", ", items) if {
	count(items) <= n
} else := sprintf("%s and %d more", [concat(", ", array.slice(items, 0, n)), count(items) - n])
