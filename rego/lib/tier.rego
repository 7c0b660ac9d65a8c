# METADATA
# title: Tier helpers
# description: |
#   Which tier (clinical, research or other) a namespace, a set of labels or a resource belongs
#   to, from data.dxguard.config.tiers (namespace names or globs, and labels). Clinical wins when
#   both match. Computed once per query; checks read `tier.of[resource id]`.
package lib.tier

import data.dxguard.config
import data.lib.inventory
import data.lib.workloads

# Tiers in precedence order: the first that matches is the tier.
precedence := ["clinical", "research"]

# The label sets of the Namespace objects of a name, from the inventory (a set: the same name
# may appear twice in a scan).
namespace_labels_of(name) := {labels_at(rec.object, ["metadata", "labels"]) |
	some rec in inventory.lookup("Namespace", "", name)
}

# The labels each tier requires ({} when none), read once per query.
wanted_labels := {t: object.get(config.tiers, [t, "labels"], {}) | some t in precedence}

# True when labels carry every label the tier requires; a tier without labels matches none.
labels_match(t, labels) if {
	want := wanted_labels[t]
	count(want) > 0
	every k, v in want {
		labels[k] == v
	}
}

# True when the namespace is in tier t: by name (or glob) or by its Namespace object's labels.
namespace_in(t, ns) if {
	is_string(ns)
	some pattern in object.get(config.tiers, [t, "namespaces"], [])
	glob.match(pattern, [], ns)
}

namespace_in(t, ns) if {
	is_string(ns)
	some labels in namespace_labels_of(ns)
	labels_match(t, labels)
}

namespace_tier(ns) := "clinical" if {
	namespace_in("clinical", ns)
} else := "research" if {
	namespace_in("research", ns)
} else := "other"

labels_tier(labels) := "clinical" if {
	labels_match("clinical", labels)
} else := "research" if {
	labels_match("research", labels)
} else := "other"

# Labels a resource carries for tiering: its own and, for workloads, its pod templates' (a
# CronJob's pod template sits under spec.jobTemplate; a custom resource's where lib.workloads
# says). Later paths win. Label sets that are absent, null or not a mapping count as none (as
# labels_at reads them), without a function call per path.
resource_labels(res) := object.union_n(array.concat(
	[labels |
		some path in label_paths
		labels := object.get(res.object, path, {})
		is_object(labels)
	],
	workloads.template_labels(res),
))

label_paths := [
	["metadata", "labels"],
	["spec", "template", "metadata", "labels"],
	["spec", "jobTemplate", "spec", "template", "metadata", "labels"],
]

# The labels at a path, or {} when there are none (absent, null or not a mapping).
labels_at(obj, path) := labels if {
	labels := object.get(obj, path, {})
	is_object(labels)
} else := {}

in_tier(t, res) if labels_match(t, resource_labels(res))

in_tier(t, res) if labels_match(t, object.get(res, ["normalized", "labels"], {}))

in_tier(t, res) if namespace_in(t, res.namespace)

resource_tier(res) := "clinical" if {
	in_tier("clinical", res)
} else := "research" if {
	in_tier("research", res)
} else := "other"

# The tier of every namespace a resource of the input lives in, computed once per namespace.
namespace_tiers := {ns: namespace_tier(ns) |
	some ns in {res.namespace | some res in input.resources; is_string(res.namespace)}
}

# The tier of every resource in the input, by id: resource_tier, with the tier of each
# namespace looked up instead of matched again for every resource in it.
of := {res.id: tier_with(res, object.get(tiers, [object.get(res, "namespace", null)], "other")) |
	tiers := namespace_tiers
	some res in input.resources
}

# The tier of a resource whose namespace has tier ns_tier: the same precedence as
# resource_tier (clinical by labels or namespace, then research by labels or namespace), since
# a namespace in both tiers has tier clinical.
tier_with(_, "clinical") := "clinical"

tier_with(res, ns_tier) := t if {
	ns_tier != "clinical"
	t := labels_or_namespace_tier(res, ns_tier)
}

labels_or_namespace_tier(res, ns_tier) := "clinical" if {
	labels_match("clinical", resource_labels(res))
} else := "clinical" if {
	labels_match("clinical", object.get(res, ["normalized", "labels"], {}))
} else := "research" if {
	ns_tier == "research"
} else := "research" if {
	labels_match("research", resource_labels(res))
} else := "research" if {
	labels_match("research", object.get(res, ["normalized", "labels"], {}))
} else := "other"
