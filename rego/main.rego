# METADATA
# title: dxguard entry point
# description: |
#   The one query dxguard makes per run. It gathers the metadata of every check package under
#   data.dxguard.checks and every result those checks emit for input.resources. It holds no
#   check logic of its own. Checks the config disables (data.dxguard.config.disabled_checks)
#   keep their metadata, so reports can say what was disabled, but are never evaluated.
package dxguard.main

# Metadata of every check, taken from the check package's own METADATA block.
checks := [meta |
	some family, name
	meta := data.dxguard.checks[family][name].meta
]

# Ids of the checks the config disables.
disabled contains id if {
	some id in data.dxguard.config.disabled_checks
}

# One row per (check, resource, subject): status pass or fail, with the field path. The package
# is bound through its metadata first, so a disabled check's results rule is never reached and
# OPA does not evaluate it (a negation before the binding would be reordered after it).
results := [r |
	some family, name
	meta := data.dxguard.checks[family][name].meta
	not meta.custom.id in disabled
	some r in data.dxguard.checks[family][name].results
]
