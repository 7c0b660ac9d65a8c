# METADATA
# title: The image runs as a non-root user by default
# description: |
#   An image whose configuration sets no USER (or USER root / 0) runs as root unless every
#   workload overrides it; a non-root default limits what a compromised process can do on
#   the node. Every image record in scope must name a non-root user in its configuration (a
#   non-zero UID, or a user name other than root). An image whose configuration is not in the
#   inputs fails for lack of evidence.
# scope: package
# custom:
#   id: DXG-IMG-ISO-001
#   family: isolation
#   severity: medium
#   targets:
#     image: [Image]
#   remediation: Add USER <non-zero uid> to the Dockerfile (e.g. USER 10001:10001), rebuild and redeploy the new digest; add `docker inspect` output or a scan report that includes the image config to the inputs.
package dxguard.checks.image.non_root_user

import data.lib.check
import data.lib.supply_chain as sc

meta := check.meta(rego.metadata.chain())

# The user part of USER (user[:group]).
user_part(u) := split(u, ":")[0]

root(u) if user_part(u) in {"", "0", "root"}

results contains check.pass(m, res.id, "normalized.user") if {
	m := meta
	some res in sc.in_scope
	is_string(res.normalized.user)
	not root(res.normalized.user)
}

results contains check.fail(m, res.id, "normalized.user", msg) if {
	m := meta
	some res in sc.in_scope
	is_string(res.normalized.user)
	root(res.normalized.user)
	msg := sprintf(
		"%s (%s) runs as root by default (USER %s); add USER <non-zero uid> to its Dockerfile and redeploy the new digest",
		[sc.label(res), sc.usage(res), user_text(res.normalized.user)],
	)
}

results contains check.fail(m, res.id, "normalized.user", msg) if {
	m := meta
	some res in sc.in_scope
	res.normalized.user == null
	msg := sprintf(
		"%s (%s): no input shows its configured user; add `docker inspect` output or a scan report that includes the image config",
		[sc.label(res), sc.usage(res)],
	)
}

user_text("") := "not set"

user_text(u) := sprintf("%q", [u]) if u != ""
