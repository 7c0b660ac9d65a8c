package dxguard.checks.image.signature_test

import data.dxguard.checks.image.signature
import data.lib.check
import data.lib.supply_chain_test as t

# The rows of the check's subjects, as dxguard.main derives them.
results := [check.row(signature.meta, s) | some s in signature.subjects]

run(resources) := judge(resources, t.cfg, t.as_of)

# Every resource judged alone (as in a scan chunk or at admission), with the inventory built
# from all of them.
judge(resources, cfg, time) := {r |
	inv := t.inventory_of(resources)
	some res in resources
	rows := results with input as t.input_at([res], time) with data.inventory as inv with data.dxguard.config as cfg
	some r in rows
}

id := concat(":", ["image", t.digest_a])

sig(overrides) := object.union(t.clean_record(t.digest_a).signatures[0], overrides)

test_verified_signature_from_allowed_identity_passes if {
	t.rows(run([t.image(t.digest_a, {})]), id) == {["pass", "normalized.signatures[0]", ""]}
}

test_unsigned_image_fails if {
	res := run([t.image(t.digest_a, {"signatures": []})])
	t.rows(res, id) == {["fail", "normalized.signatures", ""]}
	some msg in t.messages(res)
	contains(msg, "no signature evidence")
}

test_signer_not_on_the_allow_list_fails_naming_it if {
	other := sig({"identity": "https://ci.dx.example/dev/app@refs/heads/main"})
	res := run([t.image(t.digest_a, {"signatures": [other]})])
	t.rows(res, id) == {["fail", "normalized.signatures", ""]}
	some msg in t.messages(res)
	contains(msg, "https://ci.dx.example/dev/app@refs/heads/main")
}

test_unverified_bundle_does_not_suffice if {
	bundle := sig({"tool": "sigstore-bundle", "verified": false, "file": "bundle.json"})
	res := run([t.image(t.digest_a, {"signatures": [bundle]})])
	some msg in t.messages(res)
	contains(msg, "sigstore-bundle in bundle.json (not verified")
}

test_key_hint_on_the_allow_list_passes_only_when_verified if {
	cfg := object.union(t.cfg, {"parameters": {"image_signers": [{"key": "release-2026"}]}})
	keyed := sig({"identity": null, "issuer": null, "key": "release-2026"})
	res := judge([t.image(t.digest_a, {"signatures": [keyed]})], cfg, t.as_of)
	t.rows(res, id) == {["pass", "normalized.signatures[0]", ""]}
}

test_empty_allow_list_trusts_nobody if {
	cfg := object.union(t.cfg, {"parameters": {"image_signers": []}})
	res := judge([t.image(t.digest_a, {})], cfg, t.as_of)
	some msg in t.messages(res)
	contains(msg, "image_signers is empty")
}
