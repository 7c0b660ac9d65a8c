# METADATA
# title: dxguard entry point
# description: |
#   The one query dxguard makes per run. It gathers the metadata of every check package under
#   data.dxguard.checks and every result those checks emit for input.resources. It holds no
#   check logic of its own.
package dxguard.main

# Metadata of every check, taken from the check package's own METADATA block.
checks := [meta |
	some family, name
	meta := data.dxguard.checks[family][name].meta
]

# One row per (check, resource, subject): status pass or fail, with the field path.
results := [r |
	some family, name
	some r in data.dxguard.checks[family][name].results
]
