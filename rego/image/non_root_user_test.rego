package dxguard.checks.image.non_root_user_test

import data.dxguard.checks.image.non_root_user
import data.lib.supply_chain_test as t

run(resources) := r if {
	r := non_root_user.results with input as t.input_of(resources) with data.dxguard.config as t.cfg
}

id := concat(":", ["image", t.digest_a])

test_non_zero_uid_and_named_user_pass if {
	t.rows(run([t.image(t.digest_a, {})]), id) == {["pass", "normalized.user", ""]}
	t.rows(run([t.image(t.digest_a, {"user": "app"})]), id) == {["pass", "normalized.user", ""]}
}

test_root_users_fail if {
	every user in ["", "0", "root", "0:0", "root:staff"] {
		t.rows(run([t.image(t.digest_a, {"user": user})]), id) == {["fail", "normalized.user", ""]}
	}
	some msg in t.messages(run([t.image(t.digest_a, {"user": ""})]))
	contains(msg, "USER not set")
}

test_unknown_user_fails_for_lack_of_evidence if {
	some msg in t.messages(run([t.image(t.digest_a, {"user": null})]))
	contains(msg, "no input shows its configured user")
}
