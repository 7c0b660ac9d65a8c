# METADATA
# title: Inventory lookups
# description: |
#   What checks know about objects other than the one under review: the inventory in
#   data.inventory (checker/inventory.py builds it for a scan; the webhook and an audit fill it
#   from the cluster). Keyed for direct lookup, so a check never rebuilds an index per query:
#   k8s[kind][namespace or ""][name] -> [records], namespaces[ns] -> {resources, workloads},
#   images[digest] -> [evidence record ids], image_users[digest] -> [resource ids].
#   A check reads only what its METADATA declares under custom.inventory.
package lib.inventory

# The inventory, or an empty one when none was loaded (an object judged with nothing else known
# still gets every verdict, with every lookup empty: "not in the inventory", never undefined).
default store := {}

store := data.inventory

# The records of a kind with that namespace ("" or null when cluster-scoped) and name.
lookup(kind, ns, name) := object.get(store, ["k8s", kind, ns_key(ns), name], [])

# The records of a kind in a namespace ("" or null for cluster-scoped objects), in the order of
# their ids (as a scan lists them), so that "the first" of them does not depend on their names.
in_namespace(kind, ns) := [by_id[id] |
	by_id := {rec.id: rec |
		some _, recs in object.get(store, ["k8s", kind, ns_key(ns)], {})
		some rec in recs
	}
	some id in sort(object.keys(by_id))
]

# Every record of a kind.
of_kind(kind) := [rec |
	some _, names in object.get(store, ["k8s", kind], {})
	some _, recs in names
	some rec in recs
]

ns_key(ns) := ns if is_string(ns)

else := ""

# Every namespace the inventory names: by a Namespace object or by a resource that lives in it.
namespaces := {ns | some ns, _ in object.get(store, "namespaces", {})}

# Ids of the resources in a namespace, and summaries of its workloads (names and labels).
resources_in(ns) := object.get(store, ["namespaces", ns, "resources"], [])

workloads_in(ns) := object.get(store, ["namespaces", ns, "workloads"], [])

# Ids of the image evidence records about a digest, and of the resources that use it.
evidence_of(digest) := object.get(store, ["images", digest], [])

users_of(digest) := object.get(store, ["image_users", digest], [])

# True when any workload or VM of the inventory names an image (by digest or not: references
# that name no digest are listed under "").
any_image_references if count(object.get(store, "image_users", {})) > 0
