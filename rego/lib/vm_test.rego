# Tests of the decisions rego/lib/vm.rego makes about the facts the VM loaders report.
package lib.vm_test

import data.lib.vm

digest := "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

machine(format) := {"normalized": {"format": format}}

kubevirt := machine("kubevirt")

plan := machine("terraform-plan")

packer := machine("packer")

# [resource, image facts, pinned, reason]: every way a loader reports a base image.
cases := [
	[kubevirt, {"kind": "container-disk", "ref": concat("@", ["registry.example/os", digest])}, true, "referenced by sha256 digest"],
	[kubevirt, {"kind": "container-disk", "ref": "registry.example/os:9.4"}, false, "no sha256 digest"],
	[kubevirt, {"kind": "container-disk", "ref": "registry.example/os@sha256:short"}, false, "no sha256 digest"],
	[kubevirt, {"kind": "container-disk", "ref": null}, false, "no sha256 digest"],
	[kubevirt, {"kind": "registry-import", "ref": concat("@", ["docker://registry.example/os", digest])}, true, "imported by sha256 digest"],
	[kubevirt, {"kind": "registry-import", "ref": "docker://registry.example/os:9"}, false, "registry URL has no digest"],
	[kubevirt, {"kind": "http-import", "ref": "https://example.invalid/x.qcow2"}, false, "an HTTP import names no digest or checksum; the content behind the URL can change"],
	[kubevirt, {"kind": "data-source", "ref": "DataSource/rocky9"}, false, "a DataSource can be re-pointed (e.g. by a DataImportCron) to new content"],
	[plan, {"kind": "ami", "ref": "ami-0abc", "data_source": "data.aws_ami.base", "most_recent": true}, false, "it comes from data.aws_ami.base with most_recent = true, so a new AMI is picked up whenever one matches the filter"],
	[plan, {"kind": "ami", "ref": "ami-0123456789abcdef0"}, true, "an AMI id names one immutable image"],
	[plan, {"kind": "ami", "ref": null}, false, "the AMI id is not known when the plan is made"],
	[packer, {"kind": "ami", "ref": "rocky-*", "filters": ["name"], "most_recent": true}, false, "source_ami_filter has most_recent = true: the newest matching AMI is used"],
	[packer, {"kind": "ami", "ref": "ami-0123456789abcdef0", "filters": ["image-id"], "most_recent": false}, true, "filters by image-id"],
	[packer, {"kind": "ami", "ref": "rocky-*", "filters": ["name"], "most_recent": false}, false, "a filter by name or tag can match a different AMI later; filter by image-id or set source_ami"],
	[packer, {"kind": "ami", "ref": "ami-0123456789abcdef0"}, true, "an AMI id names one immutable image"],
	[packer, {"kind": "ami", "ref": "ami-XYZ"}, false, "no literal AMI id"],
	[packer, {"kind": "gce-image", "ref": "rocky-9-v20261101"}, true, "names one image"],
	[packer, {"kind": "gce-image", "ref": "rocky-9", "family": "rocky-9"}, false, "source_image_family resolves to the newest image of the family at each build"],
	[packer, {"kind": "gce-image", "ref": null, "family": null}, false, "source_image_family resolves to the newest image of the family at each build"],
	[plan, {"kind": "gce-image", "ref": "projects/rocky-linux-cloud/global/images/family/rocky-linux-9"}, false, "an image family resolves to its newest image at each create"],
	[plan, {"kind": "gce-image", "ref": "family/rocky-linux-9"}, false, "an image family resolves to its newest image at each create"],
	[plan, {"kind": "gce-image", "ref": "projects/rocky-linux-cloud/global/images/rocky-linux-9-v20261101"}, true, "names one image"],
	[plan, {"kind": "gce-image", "ref": null}, false, "no source image in the plan"],
	[plan, {"kind": "azure-image", "ref": "/subscriptions/s/images/rocky"}, true, "an image id names one image version"],
	[plan, {"kind": "azure-image", "ref": "resf:rockylinux-x86_64:9-base:9.4.20240509", "version": "9.4.20240509"}, true, "names one image version"],
	[plan, {"kind": "azure-image", "ref": "resf:rockylinux-x86_64:9-base:latest", "version": "Latest"}, false, "version 'latest' resolves to the newest image at each create"],
	[plan, {"kind": "azure-image", "ref": "resf:rockylinux-x86_64:9-base:None", "version": null}, false, "names one image version"],
	[packer, {"kind": "azure-image", "ref": "resf:rockylinux-x86_64:9-base:9.4", "version": "9.4"}, true, "names one image version"],
	[packer, {"kind": "azure-image", "ref": "resf:rockylinux-x86_64:9-base:latest", "version": "latest"}, false, "no image_version, or 'latest'"],
	[packer, {"kind": "azure-image", "ref": "resf:rockylinux-x86_64:9-base:", "version": ""}, false, "no image_version, or 'latest'"],
	[packer, {"kind": "iso", "ref": "https://example.invalid/rocky.iso", "checksum": concat("", ["sha256:", "ab"])}, true, "iso_checksum fixes the content"],
	[packer, {"kind": "iso", "ref": "https://example.invalid/rocky.iso", "checksum": " None "}, false, "no iso_checksum (or 'none'): any content at the URL is accepted"],
	[packer, {"kind": "iso", "ref": "https://example.invalid/rocky.iso", "checksum": null}, false, "no iso_checksum (or 'none'): any content at the URL is accepted"],
	[packer, {"kind": "iso", "ref": "https://example.invalid/rocky.iso", "checksum": "file:https://example.invalid/SHA256SUMS"}, false, "the checksum is read from a file at build time, which can change with the ISO"],
]

test_every_way_of_naming_a_base_image_gets_its_pin_verdict_and_reason if {
	every c in cases {
		vm.pin(c[0], c[1]) == [c[2], c[3]]
	}
}

test_an_unknown_image_kind_is_not_pinned if {
	vm.pin(kubevirt, {"kind": "vm-image", "ref": "x"})[0] == false
}

test_worm_needs_compliance_mode_or_a_locked_retention_policy if {
	vm.worm({"object_lock_enabled": true, "mode": "COMPLIANCE"})
	not vm.worm({"object_lock_enabled": true, "mode": "GOVERNANCE"})
	not vm.worm({"object_lock_enabled": false, "mode": "COMPLIANCE"})
	not vm.worm({"object_lock_enabled": null, "mode": null})
	vm.worm({"retention_policy": true, "locked": true})
	not vm.worm({"retention_policy": true, "locked": false})
	not vm.worm({"retention_policy": false, "locked": null})
}

test_lock_mode_names_the_mode_or_the_lock if {
	vm.lock_mode({"mode": "GOVERNANCE"}) == "GOVERNANCE"
	vm.lock_mode({"retention_policy": true, "locked": false}) == "unlocked"
	vm.lock_mode({"retention_policy": true, "locked": true}) == "locked"
	not vm.lock_mode({"retention_policy": false, "locked": null})
}

test_a_disk_setting_wins_over_its_storage_class if {
	vm.disk_encrypted({"encrypted": false, "storage_class_parameters": {"encrypted": "true"}}) == false
	vm.disk_encrypted({"encrypted": true}) == true
	vm.disk_encrypted({"encrypted": null, "storage_class_parameters": {"encrypted": "True"}}) == true
	vm.disk_encrypted({"encrypted": null}) == null
}
