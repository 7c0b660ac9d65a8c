# METADATA
# title: Provenance from an allowed builder, with every material pinned
# description: |
#   Build provenance shows that the image came out of the controlled build process, from
#   identified sources. Every image record in scope needs an in-toto statement with a SLSA
#   provenance predicate (v0.2 or v1; bare, in a DSSE envelope or in a Sigstore bundle) about
#   its digest whose builder id matches image_builders and whose materials
#   (resolvedDependencies) all carry a digest. dxguard does not verify attestation signatures;
#   DXG-IMG-SCN-006 covers the image signature.
# scope: package
# custom:
#   id: DXG-IMG-PIN-002
#   family: pinning
#   severity: medium
#   targets:
#     image: [Image]
#   remediation: Generate SLSA provenance for the image digest in the build (e.g. the build platform's attestation step), pin every source and base image by digest, add the statement to the scan's inputs and list the builder id in image_builders.
#   parameters: [image_builders]
package dxguard.checks.image.provenance

import data.dxguard.config
import data.lib.check
import data.lib.supply_chain as sc

meta := check.meta(rego.metadata.chain())

allowed_builder(p) if {
	some pattern in config.parameters.image_builders
	glob.match(pattern, null, p.builder)
}

unpinned(p) := sort({m_name(m) | some m in p.materials; count(m.digest) == 0})

m_name(m) := m.uri if is_string(m.uri)

else := "(unnamed material)"

good(res) := [i | some i, p in res.normalized.provenance; allowed_builder(p); count(unpinned(p)) == 0]

results contains check.pass(m, res.id, sprintf("normalized.provenance[%d]", [good(res)[0]])) if {
	m := meta
	some res in sc.in_scope
	count(good(res)) > 0
}

results contains check.fail(m, res.id, "normalized.provenance", msg) if {
	m := meta
	some res in sc.in_scope
	count(res.normalized.provenance) == 0
	msg := sprintf(
		"%s (%s) has no build provenance for its digest; add an in-toto statement with a SLSA provenance predicate for the digest to the inputs",
		[sc.label(res), sc.usage(res)],
	)
}

results contains check.fail(m, res.id, sprintf("normalized.provenance[%d]", [i]), msg) if {
	m := meta
	some res in sc.in_scope
	count(good(res)) == 0
	some i, p in res.normalized.provenance
	problems := array.concat(builder_problem(p), materials_problem(p))
	msg := sprintf(
		"provenance %s of %s: %s",
		[p.file, sc.label(res), concat("; ", problems)],
	)
}

builder_problem(p) := [] if {
	allowed_builder(p)
} else := [sprintf("builder %q is not in image_builders%s; build with an allowed builder or list it", [p.builder, empty_note])]

materials_problem(p) := [] if {
	count(unpinned(p)) == 0
} else := [sprintf("material(s) %s carry no digest; pin every source and base image by digest", [sc.sample(unpinned(p), 3)])]

empty_note := " (image_builders is empty: no builder is trusted yet)" if {
	count(config.parameters.image_builders) == 0
} else := ""
