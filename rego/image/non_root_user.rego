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
#   scope: object
#   inventory: [image_users]
#   remediation: Add USER <non-zero uid> to the Dockerfile (e.g. USER 10001:10001), rebuild and redeploy the new digest; add `docker inspect` output or a scan report that includes the image config to the inputs.
package dxguard.checks.image.non_root_user

import data.lib.check
import data.lib.supply_chain as sc

meta := check.meta(rego.metadata.chain())

# The user part of USER (user[:group]).
user_part(u) := split(u, ":")[0]

root(u) if user_part(u) in {"", "0", "root"}

# Every image record in scope whose evidence says or leaves open its configured user, examined
# once.
subjects contains check.subject(res.id, "normalized.user", problem(res)) if {
	some res in sc.in_scope
	known_or_null(res.normalized.user)
}

known_or_null(u) if is_string(u)

known_or_null(null)

problem(res) := sprintf(
	"%s (%s): no input shows its configured user; add `docker inspect` output or a scan report that includes the image config",
	[sc.label(res), sc.usage(res)],
) if {
	res.normalized.user == null
} else := sprintf(
	"%s (%s) runs as root by default (USER %s); add USER <non-zero uid> to its Dockerfile and redeploy the new digest",
	[sc.label(res), sc.usage(res), user_text(res.normalized.user)],
) if {
	root(res.normalized.user)
} else := ""

user_text("") := "not set"

user_text(u) := sprintf("%q", [u]) if u != ""
