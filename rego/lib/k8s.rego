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
# neither sets it.
effective_security(entry, key, fallback) := v if {
	v := entry.container.securityContext[key]
} else := v if {
	key in pod_inherited_security
	v := entry.pod_spec.spec.securityContext[key]
} else := fallback

# The field path the effective value of `key` comes from: the container's setting, else the
# inherited pod setting, else where the container's setting belongs.
effective_security_path(entry, key) := concat(".", [entry.path, "securityContext", key]) if {
	_ = entry.container.securityContext[key]
} else := concat(".", [entry.pod_spec.path, "securityContext", key]) if {
	key in pod_inherited_security
	_ = entry.pod_spec.spec.securityContext[key]
} else := concat(".", [entry.path, "securityContext", key])

# The kubelet runs a container as root when its effective runAsUser is 0; runAsNonRoot true
# together with runAsUser 0 is a contradiction the kubelet refuses. Returns the problem, or is
# undefined when the container must run as non-root.
# Both settings are inheritable, so their effective values (effective_security) are read here
# with object.get, the container's value defaulting to the pod's: one function call per
# container instead of one per setting and inheritance step.
root_problem(entry) := {
	"field": "runAsUser",
	"message": "runs as UID 0 (root); set runAsUser to a non-zero UID",
} if {
	object.get(entry.container, ["securityContext", "runAsUser"], object.get(entry.pod_spec.spec, ["securityContext", "runAsUser"], null)) == 0
} else := {
	"field": "runAsNonRoot",
	"message": "may run as root: runAsNonRoot is not true on the container or the pod; set securityContext.runAsNonRoot: true",
} if {
	object.get(entry.container, ["securityContext", "runAsNonRoot"], object.get(entry.pod_spec.spec, ["securityContext", "runAsNonRoot"], false)) != true
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
