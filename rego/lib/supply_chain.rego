# METADATA
# title: Supply-chain join helpers
# description: |
#   The join between what runs (every image a Kubernetes workload container or a VM disk
#   references) and the evidence about it (image records, one per manifest digest, built by the
#   loaders from scan reports, SBOMs, signatures, provenance and inspections). Records are
#   indexed by digest once per query, so the join is a lookup per reference, never a cartesian
#   product. Image checks examine the records in scope: those a workload or VM references by
#   digest, or every record when the input references no image at all (an evidence-only run,
#   e.g. in the pipeline that builds the image).
package lib.supply_chain

import data.dxguard.config
import data.lib.image
import data.lib.k8s
import data.lib.tier

# Image records by manifest digest (the loaders merge all evidence of a digest into one). A
# complete rule, so the object is built once per query and every lookup is a hash lookup (a
# partial rule queried with a bound key would re-scan the input on each lookup).
records := {res.normalized.digest: res |
	some res in input.resources
	res.family == "image"
}

# The tier of every resource, materialised once for the same reason.
tier_of := tier.of

# Every image reference of a workload container (init, regular, ephemeral; every workload kind).
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

# Every OCI image a VM boots from (e.g. a KubeVirt containerDisk), as its loader normalizes it
# into normalized.disks[].image.
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

# Resources (workloads, VMs) that reference each digest, grouped in one pass (OPA indexes the
# inner comprehension on the digest).
used_by := {d: ids |
	some d in {r.digest | some r in references; r.digest != ""}
	ids := {r.resource | some r in references; r.digest = d}
}

# The image records the image checks examine.
in_scope contains res if {
	some d, _ in used_by
	res := records[d]
}

in_scope contains res if {
	count(references) == 0
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
	n := count(object.get(used_by, res.normalized.digest, set()))
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
