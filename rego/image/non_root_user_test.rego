package dxguard.checks.image.non_root_user_test

import data.dxguard.checks.image.non_root_user
import data.lib.check
import data.lib.supply_chain_test as t

# The rows of the check's subjects, as dxguard.main derives them.
results := [check.row(non_root_user.meta, s) | some s in non_root_user.subjects]

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
