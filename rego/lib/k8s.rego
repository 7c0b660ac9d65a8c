# METADATA
# title: Kubernetes helpers
# description: |
#   Where pod specs and containers live in every workload kind, how security settings are
#   inherited, and indexed lookups across resources (by id, by namespace, by name), computed
#   once per query and shared by all checks. No check re-implements these walks or joins: a
#   cross-resource check looks a key up in an index built here, never pairs every resource with
#   every other.
package lib.k8s

import data.dxguard.config
import data.lib.inventory
import data.lib.tier
import data.lib.workloads

# Path (as keys) from a built-in workload object to its pod spec, per kind. Pod specs are found
# through lib.workloads, which also knows well-known custom resources (Argo Rollouts, Knative,
# OpenShift DeploymentConfigs, Kubeflow, Ray, …) and what the config declares; this table stays
# for custom checks that read it.
pod_spec_keys := {
	"Pod": ["spec"],
	"PodTemplate": ["template", "spec"],
	"Deployment": ["spec", "template", "spec"],
	"StatefulSet": ["spec", "template", "spec"],
	"DaemonSet": ["spec", "template", "spec"],
	"ReplicaSet": ["spec", "template", "spec"],
	"ReplicationController": ["spec", "template", "spec"],
	"Job": ["spec", "template", "spec"],
	"CronJob": ["spec", "jobTemplate", "spec", "template", "spec"],
}

# Container lists of a pod spec, in the order Kubernetes starts them.
container_fields := ["initContainers", "containers", "ephemeralContainers"]

# Kubernetes resources of the input.
resources contains res if {
	some res in input.resources
	res.family == "k8s"
}

# Every pod spec in the input: the resource id, the spec and its field path. A resource may
# carry several (a Ray cluster's head and worker groups, a Kubeflow job's replica types).
pod_specs contains {"resource": res.id, "spec": spec, "path": path} if {
	some res in resources
	some p in workloads.spec_paths(res)
	some [path, spec] in workloads.at(res.object, p)
	is_object(spec)
}

# The metadata of the pod a pod spec describes (its annotations and labels): the pod
# template's (…template.metadata beside …template.spec), or the object's own for a Pod.
# {"path", "metadata"}; metadata is {} when there is none.
pod_metadata(ps) := {"path": path, "metadata": obj(object.get(by_id[ps.resource].object, parse_path(path), {}))} if {
	endswith(ps.path, "spec")
	path := concat("", [trim_suffix(ps.path, "spec"), "metadata"])
}

# A field path (spec.tasks[0].template.metadata, spec.replicaSpecs.Worker.template) as keys.
parse_path(path) := [key |
	some part in split(path, ".")
	some key in path_keys(part)
]

path_keys(part) := [part] if not contains(part, "[")

else := array.concat([name], [to_number(i) | some i in indexes]) if {
	name := split(part, "[")[0]
	indexes := [trim_suffix(x, "]") | some j, x in split(part, "["); j > 0]
}

# Every container (init, regular and ephemeral) of every pod spec, with the name messages use
# for it (label, see container_label). An array in pod-spec order, not a set: its entries embed
# whole containers, which a set would sort by deep comparison.
containers := [{
	"resource": ps.resource,
	"container": c,
	"field": field,
	"path": sprintf("%s.%s[%d]", [ps.path, field, i]),
	"pod_spec": ps,
	"label": sprintf("%s %q", [kind_of[field], object.get(c, "name", "?")]),
} |
	some ps in pod_specs
	some field in container_fields
	some i, c in object.get(ps.spec, field, [])
	is_object(c)
]

# The image of every container as a check reads it (object.get(container, "image", "")), each
# distinct reference once, so that a check can judge each reference once.
container_images := {object.get(c.container, "image", "") | some c in containers}

# The name a message uses for a container: its kind of list and its name. The entries of
# containers carry it precomputed (entry.label); read that in a loop over every container.
container_label(entry) := entry.label if {
	is_string(entry.label)
} else := sprintf("%s %q", [kind_of[entry.field], object.get(entry.container, "name", "?")])

kind_of := {
	"initContainers": "init container",
	"containers": "container",
	"ephemeralContainers": "ephemeral container",
}

# Settings of the pod-level securityContext that containers inherit (PodSecurityContext
# fields that also exist on a container's SecurityContext). privileged,
# allowPrivilegeEscalation, capabilities, readOnlyRootFilesystem and procMount exist only
# per container: a pod-level value for them is not part of the API and is never inherited.
pod_inherited_security := {
	"runAsUser",
	"runAsGroup",
	"runAsNonRoot",
	"seLinuxOptions",
	"seccompProfile",
	"appArmorProfile",
	"windowsOptions",
}

# Effective security-context value for a container: the container's own setting wins,
# otherwise the pod-level one is inherited (for inheritable settings); `fallback` when
# neither sets it. A null is no setting (the API server reads it as unset), so a container's
# `runAsUser: null` inherits the pod's value.
effective_security(entry, key, fallback) := v if {
	v := entry.container.securityContext[key]
	v != null
} else := v if {
	key in pod_inherited_security
	v := entry.pod_spec.spec.securityContext[key]
	v != null
} else := fallback

# The field path the effective value of `key` comes from: the container's setting, else the
# inherited pod setting, else where the container's setting belongs.
effective_security_path(entry, key) := concat(".", [entry.path, "securityContext", key]) if {
	entry.container.securityContext[key] != null
} else := concat(".", [entry.pod_spec.path, "securityContext", key]) if {
	key in pod_inherited_security
	entry.pod_spec.spec.securityContext[key] != null
} else := concat(".", [entry.path, "securityContext", key])

# The kubelet runs a container as root when its effective runAsUser is 0; runAsNonRoot true
# together with runAsUser 0 is a contradiction the kubelet refuses. Returns the problem, or is
# undefined when the container must run as non-root. Both settings are inheritable: their
# effective values (the container's, else the pod's; a null is no setting) are read, and a value
# of the wrong type (runAsUser: "0", runAsNonRoot: "true") is a problem of its own, never read
# as unset.
root_problem(entry) := {"field": "runAsUser", "message": msg} if {
	user := effective_security(entry, "runAsUser", null)
	msg := trim_prefix(setting_problem("", "runAsUser", user, "integer"), " ")
} else := {
	"field": "runAsUser",
	"message": "runs as UID 0 (root); set runAsUser to a non-zero UID",
} if {
	effective_security(entry, "runAsUser", null) == 0
} else := {"field": "runAsNonRoot", "message": msg} if {
	non_root := effective_security(entry, "runAsNonRoot", null)
	msg := trim_prefix(setting_problem("", "runAsNonRoot", non_root, "boolean"), " ")
} else := {
	"field": "runAsNonRoot",
	"message": "may run as root: runAsNonRoot is not true on the container or the pod; set securityContext.runAsNonRoot: true",
} if {
	effective_security(entry, "runAsNonRoot", false) != true
}

# -- parameters and exemptions ----------------------------------------------------------------

# Check parameters with every default filled in (checker/schemas/parameters/k8s.json).
params := config.parameters

# Namespaces whose workloads the workload-hardening checks do not examine (control-plane and
# node components that need host access), by name or glob.
exempt_namespace(ns) if {
	is_string(ns)
	some pattern in params.exempt_namespaces
	glob.match(pattern, [], ns)
}

exempt(resource_id) if exempt_namespace(by_id[resource_id].namespace)

# Ids of the workloads in exempt namespaces, computed once per query, so that filtering the
# containers costs one lookup each.
exempt_workloads := {ps.resource | some ps in pod_specs; exempt(ps.resource)}

# Pod specs and containers the workload-hardening checks examine: all but exempt namespaces.
# The containers are arrays, like containers.
# (Rules used for every element are bound to a local first: a local is one lookup, a rule
# reference is resolved through the data tree each time.)
workload_pod_specs contains ps if {
	exempted := exempt_workloads
	some ps in pod_specs
	not ps.resource in exempted
}

workload_containers := [c | exempted := exempt_workloads; some c in containers; not c.resource in exempted]

# Pod specs and containers of clinical workloads (tier.of: by namespace or labels).
clinical_pod_specs contains ps if {
	tiers := tier.of
	some ps in workload_pod_specs
	tiers[ps.resource] == "clinical"
}

clinical_containers := [c | tiers := tier.of; some c in workload_containers; tiers[c.resource] == "clinical"]

# -- the objects under review and the inventory ---------------------------------------------

# Every Kubernetes resource under review (input.resources) by id: a lookup by_id[id] is a hash
# lookup, not a pass over every resource. Other objects are looked up in the inventory
# (data.lib.inventory), never in the input, so that one object judged alone gets the same
# verdict as in a whole scan.
by_id := {res.id: res | some res in resources}

# The key of a namespace for inventory lookups ("" for cluster-scoped objects).
ns_or_empty(ns) := ns if is_string(ns)

else := ""

# The objects of a kind with that namespace and name, from the inventory.
lookup(kind, ns, name) := inventory.lookup(kind, ns, name)

# The objects of a kind in a namespace, from the inventory.
objects_in(kind, ns) := inventory.in_namespace(kind, ns)

# Every object of a kind, from the inventory.
of_kind(kind) := inventory.of_kind(kind)

# The Namespace objects of a name, from the inventory.
namespace_objects(name) := inventory.lookup("Namespace", "", name)

# -- namespaces and tiers, from the inventory (for checks that judge the cluster) ------------

# Every namespace the inventory names: by its Namespace object or by a resource in it.
namespaces := inventory.namespaces

namespace_tier := {ns: tier.namespace_tier(ns) | some ns in namespaces}

# Clinical and research namespaces. A clinical namespace is "in scope" for the namespace-level
# checks as soon as any resource lives in it or a Namespace object names it.
clinical_namespaces := {ns | some ns in namespaces; namespace_tier[ns] == "clinical"}

research_namespaces := {ns | some ns in namespaces; namespace_tier[ns] == "research"}

# The labels a namespace is known to carry: its Namespace object's, plus the
# kubernetes.io/metadata.name label the API server sets on every namespace.
namespace_labels(ns) := object.union(
	object.union_n([l | some l in tier.namespace_labels_of(ns)]),
	{"kubernetes.io/metadata.name": ns},
)

# The resource a finding about a whole namespace is reported on: its Namespace object when the
# inventory holds one, else its first workload, else its first resource (by id, so
# deterministic).
namespace_anchor(ns) := min(ids) if {
	ids := {rec.id | some rec in namespace_objects(ns)}
	count(ids) > 0
} else := min(ids) if {
	ids := {w.id | some w in inventory.workloads_in(ns)}
	count(ids) > 0
} else := min(inventory.resources_in(ns))

# The field a finding about a whole namespace points at on its anchor.
namespace_anchor_path(ns) := "metadata.name" if {
	count(namespace_objects(ns)) > 0
} else := "metadata.namespace"

# The clinical workloads of the inventory (outside exempt namespaces), and the one a
# missing-cluster-evidence finding is reported on (the first by id).
clinical_workloads := {w.id |
	tiers := namespace_tier
	some ns in namespaces
	not exempt_namespace(ns)
	some w in inventory.workloads_in(ns)
	tier.tier_with(w, tiers[ns]) == "clinical"
}

clinical_anchor := min(clinical_workloads) if count(clinical_workloads) > 0

# True when the cluster-level evidence checks (audit configuration, audit policy, log
# collector) must fail if the object they need is missing from a cluster with clinical
# workloads.
cluster_evidence_required if {
	params.cluster_evidence == "required"
	count(clinical_workloads) > 0
}

# -- selectors ------------------------------------------------------------------------------

# A mapping, or {} for absent/null.
obj(x) := x if is_object(x)

else := {}

# An array, or [] for absent/null.
arr(x) := x if is_array(x)

else := []

# The array or mapping at a path inside x, or an empty one when the path is absent or null
# (object.get, so a missing field never makes the caller undefined). The same as
# arr(object.get(x, path, [])) and obj(object.get(x, path, {})), in one function call (and,
# like them, undefined when x is not a mapping).
arr_at(x, path) := v if {
	v := object.get(x, path, [])
	is_array(v)
} else := [] if is_object(x)

obj_at(x, path) := v if {
	v := object.get(x, path, {})
	is_object(v)
} else := {} if is_object(x)

# True when a LabelSelector (matchLabels and matchExpressions) selects the labels.
selector_matches(selector, labels) if {
	every k, v in obj_at(selector, ["matchLabels"]) {
		labels[k] == v
	}
	every e in arr_at(selector, ["matchExpressions"]) {
		expression_matches(e, labels)
	}
}

# True when a selector selects every object: no matchLabels and no matchExpressions.
selects_all(selector) if {
	count(obj_at(selector, ["matchLabels"])) == 0
	count(arr_at(selector, ["matchExpressions"])) == 0
}

expression_matches(e, labels) if {
	e.operator == "In"
	labels[e.key] in arr_at(e, ["values"])
}

expression_matches(e, labels) if {
	e.operator == "NotIn"
	not object.get(labels, e.key, null) in arr_at(e, ["values"])
}

expression_matches(e, labels) if {
	e.operator == "Exists"
	e.key in object.keys(labels)
}

expression_matches(e, labels) if {
	e.operator == "DoesNotExist"
	not e.key in object.keys(labels)
}

# -- nodes ----------------------------------------------------------------------------------

# True when the pod spec can only be scheduled on nodes carrying label k=v: by nodeSelector,
# or by a required node affinity whose every term (terms are ORed) demands it.
requires_node_label(spec, k, v) if obj_at(spec, ["nodeSelector"])[k] == v

requires_node_label(spec, k, v) if {
	terms := arr_at(spec, ["affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms"])
	count(terms) > 0
	every term in terms {
		term_requires(term, k, v)
	}
}

term_requires(term, k, v) if {
	some e in arr_at(term, ["matchExpressions"])
	e.key == k
	e.operator == "In"
	count(arr_at(e, ["values"])) > 0
	every value in e.values {
		value == v
	}
}

# True when the pod spec may land on nodes with label k=v (it names them in a nodeSelector or
# in any node-affinity term, required or preferred).
targets_node_label(spec, k, v) if requires_node_label(spec, k, v)

targets_node_label(spec, k, v) if {
	some term in arr_at(spec, ["affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms"])
	some e in arr_at(term, ["matchExpressions"])
	e.key == k
	e.operator == "In"
	v in arr_at(e, ["values"])
}

targets_node_label(spec, k, v) if {
	some pref in arr_at(spec, ["affinity", "nodeAffinity", "preferredDuringSchedulingIgnoredDuringExecution"])
	some e in arr_at(pref, ["preference", "matchExpressions"])
	e.key == k
	e.operator == "In"
	v in arr_at(e, ["values"])
}

# The index of a toleration of the pod spec that tolerates the taint {key, value, effect}, as
# the scheduler matches them (an empty key with operator Exists tolerates every taint; an
# empty effect matches every effect).
toleration_of(spec, taint) := i if {
	some i, t in arr_at(spec, ["tolerations"])
	tolerates(t, taint)
}

tolerates(t, taint) if {
	effect_matches(t, taint)
	object.get(t, "operator", "Equal") == "Exists"
	object.get(t, "key", "") in {"", taint.key}
}

tolerates(t, taint) if {
	effect_matches(t, taint)
	object.get(t, "operator", "Equal") == "Equal"
	object.get(t, "key", "") == taint.key
	object.get(t, "value", "") == object.get(taint, "value", "")
}

effect_matches(t, taint) if object.get(t, "effect", "") in {"", object.get(taint, "effect", "")}

# -- command lines ------------------------------------------------------------------------------

# A container's arguments after the executable (command[1:] then args), each with its path.
argv(entry) := array.concat(
	[{"arg": a, "path": sprintf("%s.command[%d]", [entry.path, i])} |
		some i, a in arr_at(entry, ["container", "command"])
		i > 0
	],
	[{"arg": a, "path": sprintf("%s.args[%d]", [entry.path, i])} |
		some i, a in arr_at(entry, ["container", "args"])
	],
)

# Flags of a command line as Go's pflag reads them (--name=value, or --name value, or a bare
# --name meaning true); when a flag repeats, the last one wins. name → {value, path}.
flags(args) := {name: {"value": e.value, "path": e.path} |
	entries := flag_entries(args)
	some j, e in entries
	name := e.name
	not repeated_later(entries, j, name)
}

flag_entries(args) := [e |
	some i, a in args
	is_string(a.arg)
	startswith(a.arg, "--")
	e := object.union(parse_flag(args, i), {"path": a.path})
]

repeated_later(entries, j, name) if {
	some k, e in entries
	k > j
	e.name == name
}

parse_flag(args, i) := {"name": parts[0], "value": concat("=", array.slice(parts, 1, count(parts)))} if {
	body := trim_prefix(args[i].arg, "--")
	contains(body, "=")
	parts := split(body, "=")
} else := {"name": trim_prefix(args[i].arg, "--"), "value": args[i + 1].arg} if {
	is_string(args[i + 1].arg)
	not startswith(args[i + 1].arg, "-")
} else := {"name": trim_prefix(args[i].arg, "--"), "value": "true"}

# The last path component of an executable (/usr/local/bin/kube-apiserver → kube-apiserver).
basename(p) := parts[count(parts) - 1] if parts := split(p, "/")

# -- control plane --------------------------------------------------------------------------------

# kube-apiserver containers of the inventory's Pods (the static pods of
# /etc/kubernetes/manifests, or their mirror pods in a cluster export): the executable is
# kube-apiserver. Each entry is shaped like an entry of `containers`.
apiservers contains entry if {
	some pod in of_kind("Pod")
	spec := obj_at(pod.object, ["spec"])
	some field in container_fields
	some i, c in arr_at(spec, [field])
	is_object(c)
	is_apiserver(c)
	ps := {"resource": pod.id, "spec": spec, "path": "spec"}
	entry := {
		"resource": pod.id,
		"container": c,
		"field": field,
		"path": sprintf("spec.%s[%d]", [field, i]),
		"pod_spec": ps,
		"label": sprintf("%s %q", [kind_of[field], object.get(c, "name", "?")]),
	}
}

is_apiserver(container) if basename(arr_at(container, ["command"])[0]) == "kube-apiserver"

is_apiserver(container) if {
	count(arr_at(container, ["command"])) == 0
	container.name == "kube-apiserver"
}

# The flags of a container's command line (see flags).
container_flags(entry) := flags(argv(entry))

# True when the flag is set to a non-empty value.
flag_set(fl, name) if fl[name].value != ""

# A string key for a container or pod-spec entry, unique in the scan (resource id and path), for
# checks that collect several problems per subject in an object.
subject_key(entry) := sprintf("%s %s", [entry.resource, entry.path])

# -- values as the API server decodes them --------------------------------------------------------

# True when v is of a JSON type of the API (api_types in k8s_fields.rego), or null: null is
# every field's "unset". A value of another type makes the API server reject the object; a
# check that reads such a field must fail it, never read it as unset (setting_problem).
type_ok(_, null)

type_ok(json_type, v) if scalar_ok(json_type, v)

type_ok("object", v) if is_object(v)

type_ok("array", v) if is_array(v)

type_ok(json_type, v) if {
	item := item_types[json_type]
	is_array(v)
	every x in v {
		scalar_ok(item, x)
	}
}

type_ok(json_type, v) if {
	json_type in {"string_map", "quantity_map"}
	is_object(v)
	every x in v {
		value_ok(json_type, x)
	}
}

# Scalars (and mappings, for list items), null included.
scalar_ok(_, null)

scalar_ok("boolean", v) if is_boolean(v)

scalar_ok("integer", v) if {
	is_number(v)
	floor(v) == v
}

scalar_ok("number", v) if is_number(v)

scalar_ok("string", v) if is_string(v)

scalar_ok("object", v) if is_object(v)

# A map of strings holds strings; a resource quantity is a string (500m, 1Gi) or a number.
value_ok(_, null)

value_ok("string_map", x) if is_string(x)

value_ok("quantity_map", x) if is_string(x)

value_ok("quantity_map", x) if is_number(x)

item_types := {"strings": "string", "integers": "integer", "booleans": "boolean", "objects": "object"}

type_names := {
	"boolean": "a boolean",
	"integer": "an integer",
	"number": "a number",
	"string": "a string",
	"object": "a mapping",
	"array": "a list",
	"strings": "a list of strings",
	"integers": "a list of integers",
	"booleans": "a list of booleans",
	"objects": "a list of mappings",
	"string_map": "a mapping of strings",
	"quantity_map": "a mapping of quantities",
}

type_fixes := {
	"boolean": "write true or false, without quotes",
	"integer": "write a whole number, without quotes",
	"number": "write a number, without quotes",
	"string": "write a string (quote it when YAML would read it as a number or boolean)",
	"object": "write a mapping of its fields",
	"array": "write a list",
	"strings": "write a list of strings, e.g. [ALL]",
	"integers": "write a list of whole numbers, without quotes",
	"booleans": "write a list of true or false",
	"objects": "write a list of mappings",
	"string_map": "quote every value (\"1.0\", \"true\")",
	"quantity_map": "write each quantity as a number or a string such as 500m or 1Gi",
}

# What a value is, for a message: its type and at most a short excerpt of it; for a list or map
# of the wrong items, the first item at fault.
describe_value(v, json_type) := sprintf("a list whose item [%d] is %s", [i, describe(v[i])]) if {
	json_type in {"strings", "integers", "booleans", "objects"}
	is_array(v)
	i := min({j | some j, x in v; not scalar_ok(item_types[json_type], x)})
} else := sprintf("a mapping whose value for %q is %s", [excerpt(k), describe(v[k])]) if {
	json_type in {"string_map", "quantity_map"}
	is_object(v)
	k := min({key | some key, x in v; not value_ok(json_type, x)})
} else := describe(v)

describe(v) := sprintf("the string %q", [excerpt(v)]) if is_string(v)

else := sprintf("the number %v", [v]) if is_number(v)

else := sprintf("the boolean %v", [v]) if is_boolean(v)

else := "a list" if is_array(v)

else := "a mapping" if is_object(v)

else := "null"

# At most 40 characters of a text.
excerpt(s) := concat("", [substring(s, 0, 40), "…"]) if count(s) > 40

else := s

# The problem of a security setting whose value is not of its API type: who sets it (e.g.
# `container "app"`), the field and the JSON type; undefined when the value is of the type (or
# null). A check that reads the setting states this as its problem instead of reading the value
# as unset.
setting_problem(who, field, v, json_type) := sprintf("%s sets %s to %s, not %s: the API server rejects it, and dxguard does not read it as unset; %s", [who, field, describe_value(v, json_type), type_names[json_type], type_fixes[json_type]]) if {
	not type_ok(json_type, v)
}
