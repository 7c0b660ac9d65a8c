# METADATA
# title: VM base images are pinned
# description: |
#   A validated VM must boot exactly the image that was validated. Container disks and registry
#   imports need a sha256 digest, AMIs and cloud images a literal id (no most_recent filter, no
#   image family, no 'latest'), ISO builds a fixed iso_checksum.
# scope: package
# custom:
#   id: DXG-VM-PIN-001
#   family: pinning
#   severity: high
#   targets:
#     vm: [VirtualMachine, VirtualMachineInstance, VirtualMachineInstanceReplicaSet, aws_instance, aws_launch_template, google_compute_instance, google_compute_instance_template, google_compute_region_instance_template, azurerm_linux_virtual_machine, azurerm_windows_virtual_machine, PackerSource]
#   scope: object
#   remediation: Reference the image by digest (image@sha256:<64 hex>), by a literal AMI or image id or version, or with a fixed iso_checksum; drop most_recent filters, image families and 'latest'.
package dxguard.checks.vm.base_image_pinned

import data.lib.check
import data.lib.vm

meta := check.meta(rego.metadata.chain())

# Every base image of every machine, examined once.
subjects contains check.named_subject(res.id, img.path, subject(img), problem(res, img)) if {
	some res in vm.machines
	some img in res.normalized.images
}

problem(res, img) := sprintf("%s boots %s %q, which is not pinned: %s; pin it by digest, literal id or checksum", [vm.label(res), img.kind, subject(img), why]) if {
	[pinned, why] := vm.pin(res, img)
	not pinned
} else := ""

subject(img) := img.ref if is_string(img.ref)

else := "(unknown)"
