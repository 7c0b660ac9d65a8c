# METADATA
# title: Workload helpers
# description: |
#   Where an object carries its pod specs: the paths of its kind by API group, from the config's
#   declarations (data.dxguard.config.workloads) first, then the built-in and well-known kinds
#   (workloads_table.rego, generated from checker/workloads.py), then a built-in kind's paths
#   under any group. A path is keys between wildcards (every item of a list, every value of a
#   map), at most two wildcards. lib.k8s builds its pod specs from here; lib.tier reads the pod
#   templates' labels from here.
package lib.workloads

import data.dxguard.config

# The API group of an apiVersion: apps for apps/v1, "" for v1.
api_group(api_version) := g if {
	is_string(api_version)
	contains(api_version, "/")
	g := split(api_version, "/")[0]
} else := ""

# The pod-spec paths of a resource record's kind (undefined for a kind that carries none).
spec_paths(res) := p if {
	p := config.workloads[api_group(res.apiVersion)][res.kind]
} else := p if {
	p := kinds[api_group(res.apiVersion)][res.kind]
} else := by_kind[res.kind]

# [field path, value] of every place a path reaches in obj (the value may be anything: callers
# keep the mappings). Unrolled for up to two wildcards.
at(obj, p) := [[p.text[0], object.get(obj, p.segments[0], null)]] if count(p.segments) == 1

at(obj, p) := [[concat("", [p.text[0], key_text(k), p.text[1]]), object.get(x, p.segments[1], null)] |
	some k, x in items(object.get(obj, p.segments[0], null))
] if count(p.segments) == 2

at(obj, p) := [[concat("", [p.text[0], key_text(k), p.text[1], key_text(l), p.text[2]]), object.get(y, p.segments[2], null)] |
	some k, x in items(object.get(obj, p.segments[0], null))
	some l, y in items(object.get(x, p.segments[1], null))
] if count(p.segments) == 3

# The items of a list, or the values of a map (keyed), or none.
items(x) := x if is_array(x)

else := x if is_object(x)

else := []

key_text(k) := sprintf("[%d]", [k]) if is_number(k)

else := concat("", [".", k])

# The label sets of the pod templates around a resource's pod specs (…template.metadata.labels).
template_labels(res) := [labels |
	some p in spec_paths(res)
	p.labels != null
	some [_, labels] in at(res.object, {"segments": p.labels, "text": p.text})
	is_object(labels)
]
