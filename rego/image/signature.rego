# METADATA
# title: The image digest carries a verified signature from an allowed signer
# description: |
#   A signature ties the exact digest that runs to the party that released it, so a swapped or
#   tampered image is detectable. Every image record in scope needs a signature that a verifier
#   checked (the output of `cosign verify` for that digest) from a signer in image_signers:
#   keyless signatures match an issuer and a subject glob, key-based ones a key hint. A Sigstore
#   bundle is signature material that dxguard does not verify itself, so it does not suffice.
# scope: package
# custom:
#   id: DXG-IMG-SCN-006
#   family: scanning
#   severity: high
#   targets:
#     image: [Image]
#   scope: object
#   inventory: [image_users]
#   remediation: Sign the image digest in the release pipeline (cosign sign), verify it with `cosign verify <name>@sha256:<digest> --certificate-identity ... --certificate-oidc-issuer ...` and add its JSON output to the scan's inputs; list the release signer in image_signers.
#   parameters: [image_signers]
package dxguard.checks.image.signature

import data.dxguard.config
import data.lib.check
import data.lib.supply_chain as sc

meta := check.meta(rego.metadata.chain())

allowed(sig) if {
	some signer in config.parameters.image_signers
	is_string(signer.issuer)
	sig.issuer == signer.issuer
	is_string(sig.identity)
	glob.match(signer.subject, null, sig.identity)
}

allowed(sig) if {
	some signer in config.parameters.image_signers
	is_string(signer.key)
	sig.key == signer.key
}

trusted(res) := [i | some i, sig in res.normalized.signatures; sig.verified == true; allowed(sig)]

# Each image record in scope, examined once: on its first trusted signature, or on its
# signature list when it has none.
subjects contains check.subject(res.id, location(res), problem(res)) if {
	some res in sc.in_scope
}

location(res) := sprintf("normalized.signatures[%d]", [trusted(res)[0]]) if {
	count(trusted(res)) > 0
} else := "normalized.signatures"

problem(res) := sprintf(
	"%s (%s) has no signature evidence for its digest; sign it (cosign sign), add the JSON output of `cosign verify` for the digest to the inputs%s",
	[sc.label(res), sc.usage(res), no_signers_note],
) if {
	count(res.normalized.signatures) == 0
} else := sprintf(
	"%s (%s) has no verified signature from an allowed signer: %s; verify the digest with `cosign verify` against the release signer and list that signer in image_signers%s",
	[sc.label(res), sc.usage(res), concat("; ", sort({describe(sig) | some sig in res.normalized.signatures})), no_signers_note],
) if {
	count(trusted(res)) == 0
} else := ""

no_signers_note := " (image_signers is empty: no signer is trusted yet)" if {
	count(config.parameters.image_signers) == 0
} else := ""

describe(sig) := sprintf("%s in %s (%s, by %s)", [sig.tool, sig.file, verified_text(sig), signer_text(sig)])

verified_text(sig) := "verified" if sig.verified == true

else := "not verified"

signer_text(sig) := sprintf("%s from %s", [sig.identity, sig.issuer]) if {
	is_string(sig.identity)
	is_string(sig.issuer)
} else := sprintf("key %s", [sig.key]) if {
	is_string(sig.key)
} else := "a signer the output does not name"
