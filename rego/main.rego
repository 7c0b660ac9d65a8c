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

# The answer to an object query: the ids of the objects judged (input.resources, in order) and
# their rows. dxguard refuses an answer whose ids are not exactly the batch it sent.
object_answer := {
	"judged": [res.id | some res in input.resources],
	"rows": object_results,
}

# One row per subject of the checks that judge the cluster (the inventory) as a whole.
cluster_results := [row |
	some family, name
	meta := data.dxguard.checks[family][name].meta
	meta.custom.scope == "cluster"
	not meta.custom.id in disabled
	some s in data.dxguard.checks[family][name].subjects
	row := check.row(meta, s)
]
