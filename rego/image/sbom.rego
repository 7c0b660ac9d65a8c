# METADATA
# title: An SBOM for the image digest names every component's name, version, purl and supplier
# description: |
#   A software bill of materials lets a manufacturer tell, when a vulnerability is published,
#   whether and where a device is affected; FDA's SBOM baseline asks for each component's name,
#   version, a unique identifier and its supplier. Every image record in scope needs a
#   CycloneDX (1.4-1.6) or SPDX 2.3 SBOM about its digest in which every package component
#   carries the fields in image_sbom_component_fields. One complete SBOM suffices; otherwise
#   each SBOM of the digest fails with the components it is missing fields for.
# scope: package
# custom:
#   id: DXG-IMG-SCN-004
#   family: scanning
#   severity: high
#   targets:
#     image: [Image]
#   scope: object
#   inventory: [image_users]
#   remediation: Generate the SBOM from the image by digest (e.g. syft or trivy in CycloneDX or SPDX JSON) and enrich components whose supplier or purl the generator could not determine, then add it to the scan's inputs.
#   parameters: [image_sbom_component_fields]
package dxguard.checks.image.sbom

import data.dxguard.config
import data.lib.check
import data.lib.supply_chain as sc

meta := check.meta(rego.metadata.chain())

fields := config.parameters.image_sbom_component_fields

name_of(c) := c.name if is_string(c.name)

else := c.purl if is_string(c.purl)

else := "(unnamed)"

# Components of the SBOM that lack field f (null or empty), by name.
lacking(sbom, f) := sort({name_of(c) | some c in sbom.components; not has_value(c, f)})

has_value(c, f) if {
	is_string(c[f])
	c[f] != ""
}

gaps(sbom) := [sprintf("%d of %d components lack a %s (%s)", [count(names), count(sbom.components), f, sc.sample(names, 3)]) |
	some f in fields
	names := lacking(sbom, f)
	count(names) > 0
]

complete(sbom) if {
	count(sbom.components) > 0
	count(gaps(sbom)) == 0
}

complete_sboms(res) := [i | some i, sbom in res.normalized.sboms; complete(sbom)]

# Each image record in scope, examined once: on its first complete SBOM, or on its SBOM list
# when it has none.
subjects contains check.subject(res.id, location(res), problem(res)) if {
	some res in sc.in_scope
	not incomplete_sboms(res)
}

location(res) := sprintf("normalized.sboms[%d]", [complete_sboms(res)[0]]) if {
	count(complete_sboms(res)) > 0
} else := "normalized.sboms"

problem(res) := sprintf(
	"%s (%s) has no SBOM for its digest; generate a CycloneDX or SPDX JSON SBOM from the image by digest and add it to the inputs",
	[sc.label(res), sc.usage(res)],
) if {
	count(res.normalized.sboms) == 0
} else := ""

# When a record has SBOMs but none is complete, each SBOM is examined with its own gaps.
incomplete_sboms(res) if {
	count(res.normalized.sboms) > 0
	count(complete_sboms(res)) == 0
}

subjects contains check.subject(res.id, sprintf("normalized.sboms[%d]", [i]), msg) if {
	some res in sc.in_scope
	incomplete_sboms(res)
	some i, sbom in res.normalized.sboms
	msg := sprintf(
		"SBOM %s (%s %s) of %s: %s; regenerate or enrich it so that every component has %s",
		[sbom.file, sbom.format, sbom.spec_version, sc.label(res), check.problems(sbom_problems(sbom)), concat(", ", fields)],
	)
}

sbom_problems(sbom) := ["it lists no components"] if {
	count(sbom.components) == 0
} else := gaps(sbom)
