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
#   scope: object
#   inventory: [image_users]
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

# Each image record in scope, examined once: on its first good provenance statement, or on its
# provenance list when it has none.
subjects contains check.subject(res.id, location(res), problem(res)) if {
	some res in sc.in_scope
	not bad_statements(res)
}

location(res) := sprintf("normalized.provenance[%d]", [good(res)[0]]) if {
	count(good(res)) > 0
} else := "normalized.provenance"

problem(res) := sprintf(
	"%s (%s) has no build provenance for its digest; add an in-toto statement with a SLSA provenance predicate for the digest to the inputs",
	[sc.label(res), sc.usage(res)],
) if {
	count(res.normalized.provenance) == 0
} else := ""

# When a record has provenance but none of it is good, each statement is examined with its own
# problems.
bad_statements(res) if {
	count(res.normalized.provenance) > 0
	count(good(res)) == 0
}

subjects contains check.subject(res.id, sprintf("normalized.provenance[%d]", [i]), msg) if {
	some res in sc.in_scope
	bad_statements(res)
	some i, p in res.normalized.provenance
	msg := sprintf(
		"provenance %s of %s: %s",
		[p.file, sc.label(res), check.problems(array.concat(builder_problem(p), materials_problem(p)))],
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
