# METADATA
# title: dxguard entry point
# description: |
#   The queries dxguard makes. `checks` is the metadata of every check package under
#   data.dxguard.checks. `object_results` judges the objects under review (input.resources: a
#   chunk of a scan, or one object at admission) with every check of scope `object`; what those
#   checks need to know about other objects they read from the inventory (data.inventory).
#   `cluster_results` judges the inventory as a whole with every check of scope `cluster`
#   (evaluated once per run, with no objects in the input). Rows are derived from the subjects
#   each check states once (lib.check.row), so every examined subject has exactly one status.
#   It holds no check logic of its own. Checks the config disables
#   (data.dxguard.config.disabled_checks) keep their metadata, so reports can say what was
#   disabled, but are never evaluated.
package dxguard.main

import data.lib.check
import data.lib.tier

# Metadata of every check, taken from the check package's own METADATA block.
checks := [meta |
	some family, name
	meta := data.dxguard.checks[family][name].meta
]

# Ids of the checks the config disables.
disabled contains id if {
	some id in data.dxguard.config.disabled_checks
}

# One row per (check, resource, field path, subject) of the objects under review: status pass
# or fail, with the field path. The package is bound through its metadata first, so a disabled
# check's subjects are never reached and OPA does not evaluate them.
object_results := [row |
	some family, name
	meta := data.dxguard.checks[family][name].meta
	meta.custom.scope == "object"
	not meta.custom.id in disabled
	some s in data.dxguard.checks[family][name].subjects
	row := check.row(meta, s)
]

# One row per subject of the checks that judge the cluster (the inventory) as a whole.
cluster_results := [row |
	some family, name
	meta := data.dxguard.checks[family][name].meta
	meta.custom.scope == "cluster"
	not meta.custom.id in disabled
	some s in data.dxguard.checks[family][name].subjects
	row := check.row(meta, s)
]

# What the admission webhook asks for one object: its rows (as object_results) and the tier of
# each object under review (clinical, research or other, from data.dxguard.config.tiers and the
# inventory's Namespace labels), which decides how a failure is enforced. One query.
review := {"results": object_results, "tiers": tier.of}
