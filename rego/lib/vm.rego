# METADATA
# title: VM helpers
# description: |
#   The VM-family resources of the input and their normalized model (checker/schemas/
#   vm-model.schema.json), computed once per query and shared by the rego/vm checks. A fact the
#   format cannot express is absent from the model; one it leaves unknown is null.
package lib.vm

import data.lib.tier

# Roles that describe a machine: a VM, a template VMs are stamped from, or an image build.
machine_roles := {"vm", "template", "image-build"}

# Every VM-family resource that has a model.
models contains res if {
	some res in input.resources
	res.family == "vm"
	is_object(res.normalized)
}

# VMs, VM templates and image builds.
machines contains res if {
	some res in models
	res.normalized.role in machine_roles
}

# Models of one role (e.g. "log-storage", "toolchain").
of_role(role) := {res | some res in models; res.normalized.role == role}

clinical(res) if tier.of[res.id] == "clinical"

# How messages name a resource: its kind and name.
label(res) := sprintf("%s %q", [res.kind, res.name])

# A fact group of the model, when the format expresses it.
fact(res, key) := res.normalized[key] if is_object(res.normalized[key])

# Where a fact came from, for messages: " (from X)" or "".
from(group) := sprintf(" (from %s)", [group.from]) if is_string(group.from)

else := ""

# The checks' parameters.
param(name) := data.dxguard.config.parameters[name]

# -- decisions about the facts the loaders report ---------------------------------------------
# The loaders (checker/loaders/vm) report what an input says; what that means for compliance is
# decided here, inside the policy bundle (and so covered by its digest).

# Whether a base image is pinned, and why (for the message): [pinned, why]. The reasons differ
# by the field the image is chosen with and by format, as the formats differ in what is known
# when the template is read.
pin(res, img) := [true, "referenced by sha256 digest"] if {
	img.kind == "container-disk"
	digest_pinned(img.ref)
} else := [false, "no sha256 digest"] if {
	img.kind == "container-disk"
} else := [true, "imported by sha256 digest"] if {
	img.kind == "registry-import"
	digest_pinned(img.ref)
} else := [false, "registry URL has no digest"] if {
	img.kind == "registry-import"
} else := [false, "an HTTP import names no digest or checksum; the content behind the URL can change"] if {
	img.kind == "http-import"
} else := [false, "a DataSource can be re-pointed (e.g. by a DataImportCron) to new content"] if {
	img.kind == "data-source"
} else := pin_ami(res, img) if {
	img.kind == "ami"
} else := pin_gce(res, img) if {
	img.kind == "gce-image"
} else := pin_azure(res, img) if {
	img.kind == "azure-image"
} else := pin_iso(img) if {
	img.kind == "iso"
} else := [false, "dxguard cannot tell whether this image reference is pinned"]

# A reference that names its content by a well-formed sha256 digest.
digest_pinned(ref) if {
	is_string(ref)
	regex.match(`@sha256:[a-f0-9]{64}$`, ref)
}

# A literal AMI id names one immutable image.
ami_id(ref) if {
	is_string(ref)
	regex.match(`^ami-[0-9a-f]{8,17}$`, ref)
}

pin_ami(res, img) := [false, sprintf("it comes from %s with most_recent = true, so a new AMI is picked up whenever one matches the filter", [img.data_source])] if {
	is_string(img.data_source)
	img.most_recent == true
} else := [false, "source_ami_filter has most_recent = true: the newest matching AMI is used"] if {
	is_array(img.filters)
	img.most_recent == true
} else := [true, "filters by image-id"] if {
	"image-id" in img.filters
} else := [false, "a filter by name or tag can match a different AMI later; filter by image-id or set source_ami"] if {
	is_array(img.filters)
} else := [true, "an AMI id names one immutable image"] if {
	ami_id(img.ref)
} else := [false, "no literal AMI id"] if {
	res.normalized.format == "packer"
} else := [false, "the AMI id is not known when the plan is made"]

# GCE: an image family resolves to its newest image whenever a VM is created or an image built.
pin_gce(res, img) := [false, "source_image_family resolves to the newest image of the family at each build"] if {
	res.normalized.format == "packer"
	"family" in object.keys(img)
} else := [true, "names one image"] if {
	res.normalized.format == "packer"
} else := [false, "an image family resolves to its newest image at each create"] if {
	contains(concat("", ["/", img.ref]), "/family/")
} else := [true, "names one image"] if {
	is_string(img.ref)
	img.ref != ""
} else := [false, "no source image in the plan"]

# Azure: an image id names one version; a marketplace image needs a version other than latest.
pin_azure(res, img) := [true, "an image id names one image version"] if {
	not "version" in object.keys(img)
} else := [named_version(img.version, {"", "latest"}), "names one image version"] if {
	res.normalized.format == "packer"
	named_version(img.version, {"", "latest"})
} else := [false, "no image_version, or 'latest'"] if {
	res.normalized.format == "packer"
} else := [false, "version 'latest' resolves to the newest image at each create"] if {
	lower(sprintf("%v", [img.version])) == "latest"
} else := [named_version(img.version, {"latest"}), "names one image version"]

named_version(v, floating) if {
	is_string(v)
	not lower(v) in floating
} else := false

# ISO builds: iso_checksum fixes the content, unless it is missing, 'none' or read from a file.
pin_iso(img) := [false, "no iso_checksum (or 'none'): any content at the URL is accepted"] if {
	checksum_text(img) in {"", "none"}
} else := [false, "the checksum is read from a file at build time, which can change with the ISO"] if {
	startswith(checksum_text(img), "file:")
} else := [true, "iso_checksum fixes the content"]

checksum_text(img) := lower(trim_space(img.checksum)) if is_string(img.checksum)

else := ""

# Whether log storage is write-once (WORM): S3 Object Lock enabled with a default retention in
# COMPLIANCE mode (GOVERNANCE mode can be bypassed), or a GCS retention policy that is locked.
worm(ls) if {
	ls.object_lock_enabled == true
	ls.mode == "COMPLIANCE"
}

worm(ls) if {
	ls.retention_policy == true
	ls.locked == true
}

# The retention mode a message names: the S3 mode, or whether a GCS policy is locked.
lock_mode(ls) := ls.mode if {
	is_string(ls.mode)
} else := "locked" if {
	ls.retention_policy == true
	ls.locked == true
} else := "unlocked" if {
	ls.retention_policy == true
}

# A version constraint that allows exactly one version: "1.2.3", "= 1.2.3", "v1.2.3", optionally
# with a pre-release suffix.
exact_version(constraint) if {
	is_string(constraint)
	regex.match(`^\s*=?\s*v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?\s*$`, constraint)
}

# Placements that keep other tenants off the host: AWS dedicated instances and dedicated hosts,
# GCP sole-tenant nodes, Azure dedicated hosts.
dedicated_placements := {"dedicated", "host", "sole-tenant", "dedicated-host"}

dedicated_tenancy(t) if t.kind in dedicated_placements

# Whether a disk is encrypted at rest: true, false, or null when the input does not show it.
# A disk's own setting wins; a KubeVirt disk is as encrypted as its StorageClass makes it.
disk_encrypted(disk) := disk.encrypted if {
	is_boolean(disk.encrypted)
} else := storage_class_encrypts(disk.storage_class_parameters) if {
	is_object(disk.storage_class_parameters)
} else := null

# StorageClass parameters that make the CSI driver encrypt: encrypted "true" (Ceph RBD, AWS EBS,
# and others), or a key for encryption (GCP PD, Azure Disk, AWS EBS).
encrypting_parameters := ["disk-encryption-kms-key", "diskEncryptionSetID", "kmsKeyId"]

storage_class_encrypts(params) if {
	lower(sprintf("%v", [object.get(params, "encrypted", "")])) == "true"
} else if {
	some p in encrypting_parameters
	truthy(object.get(params, p, null))
} else := false

truthy(v) if not v in {null, false, "", 0, [], {}}
