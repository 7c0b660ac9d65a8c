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
#   disabled, but are never evaluated. dxguard asks for `object_answer`: the rows together with
#   the ids of the objects this query judged, so that an answer to another (or an empty) input
#   can never be read as this batch's verdict.
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

# The checks to evaluate, by scope ("object", "cluster"): {family, name, id} each, disabled
# checks left out. The engine puts it into data.dxguard.index when it starts (from the checks'
# metadata and the config), so a query does not read every check's metadata again (a quarter
# of the cost of judging one object); an OPA without it derives the same index here.
index := given if {
	given := data.dxguard.index
} else := derived_index

derived_index := {scope: [entry |
	some family, name
	meta := data.dxguard.checks[family][name].meta
	meta.custom.scope == scope
	not meta.custom.id in disabled
	entry := {"family": family, "name": name, "id": meta.custom.id}
] |
	some scope in ["object", "cluster"]
}

# One row per (check, resource, field path, subject) of the objects under review: status pass
# or fail, with the field path. Only the indexed checks' subjects are reached, so a disabled
# check is never evaluated.
object_results := [row |
	some c in index.object
	some s in data.dxguard.checks[c.family][c.name].subjects
	row := check.row_of(c.id, s)
]

# The answer to an object query: the ids of the objects judged (input.resources, in order) and
# their rows. dxguard refuses an answer whose ids are not exactly the batch it sent.
object_answer := {
	"judged": [res.id | some res in input.resources],
	"rows": object_results,
}

# One row per subject of the checks that judge the cluster (the inventory) as a whole.
cluster_results := [row |
	some c in index.cluster
	some s in data.dxguard.checks[c.family][c.name].subjects
	row := check.row_of(c.id, s)
]

# What the admission webhook asks for one object: its rows (as object_results) and the tier of
# each object under review (clinical, research or other, from data.dxguard.config.tiers and the
# inventory's Namespace labels), which decides how a failure is enforced. One query.
review := {"results": object_results, "tiers": tier.of}
