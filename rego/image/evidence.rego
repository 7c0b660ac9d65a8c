# METADATA
# title: Deployed images are matched to supply-chain evidence by digest
# description: |
#   Evidence about an image (scan reports, SBOMs, signatures, provenance) is about one exact
#   digest; a tag can point at different content at any time. Every image a workload container
#   (all container kinds) or a VM disk references is looked up by its digest among the image
#   records built from the inputs. In the tiers of image_evidence_tiers (default: clinical), a
#   tag-only reference cannot be matched and a digest with no record has no evidence: both fail.
#   In other tiers a match passes and a miss is not examined (pinning is DXG-K8S-PIN-001's job).
# scope: package
# custom:
#   id: DXG-IMG-SCN-001
#   family: scanning
#   severity: high
#   targets:
#     k8s: [Pod, PodTemplate, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob]
#     vm: [VirtualMachine, VirtualMachineInstance]
#   scope: object
#   inventory: [Namespace, images]
#   remediation: Reference the image by digest (name@sha256:...) and add its scan report (trivy image -f json or grype -o json), SBOM (CycloneDX or SPDX JSON), `cosign verify` output and provenance to the scan's inputs.
#   parameters: [image_evidence_tiers]
package dxguard.checks.image.evidence

import data.lib.check
import data.lib.supply_chain as sc

meta := check.meta(rego.metadata.chain())

# Every image reference of a workload or VM under review, examined once: where it has evidence,
# and where its tier requires evidence.
subjects contains check.subject(ref.resource, ref.path, problem(ref)) if {
	required := sc.evidence_required_ids
	some ref in sc.references
	examined(ref, required)
}

examined(ref, _) if {
	ref.digest != ""
	sc.has_evidence(ref.digest)
}

examined(ref, required) if ref.resource in required

problem(ref) := sprintf(
	"%s image %q is referenced by tag only, so it cannot be matched to a scan report, SBOM, signature or provenance (evidence is keyed by digest); pin it as name@sha256:<digest>",
	[ref.label, ref.image],
) if {
	ref.digest == ""
} else := sprintf(
	"%s image %q has no evidence: no scan report, SBOM, signature or provenance in the inputs is about digest %s; add them to the scan",
	[ref.label, ref.image, ref.digest],
) if {
	not sc.has_evidence(ref.digest)
} else := ""
