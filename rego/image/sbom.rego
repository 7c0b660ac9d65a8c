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

results contains check.pass(m, res.id, sprintf("normalized.sboms[%d]", [complete_sboms(res)[0]])) if {
	m := meta
	some res in sc.in_scope
	count(complete_sboms(res)) > 0
}

results contains check.fail(m, res.id, "normalized.sboms", msg) if {
	m := meta
	some res in sc.in_scope
	count(res.normalized.sboms) == 0
	msg := sprintf(
		"%s (%s) has no SBOM for its digest; generate a CycloneDX or SPDX JSON SBOM from the image by digest and add it to the inputs",
		[sc.label(res), sc.usage(res)],
	)
}

results contains check.fail(m, res.id, sprintf("normalized.sboms[%d]", [i]), msg) if {
	m := meta
	some res in sc.in_scope
	count(complete_sboms(res)) == 0
	some i, sbom in res.normalized.sboms
	problems := sbom_problems(sbom)
	msg := sprintf(
		"SBOM %s (%s %s) of %s: %s; regenerate or enrich it so that every component has %s",
		[sbom.file, sbom.format, sbom.spec_version, sc.label(res), concat("; ", problems), concat(", ", fields)],
	)
}

sbom_problems(sbom) := ["it lists no components"] if {
	count(sbom.components) == 0
} else := gaps(sbom)
