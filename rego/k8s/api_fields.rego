# METADATA
# title: Security settings are spelled and typed as the Kubernetes API defines them
# description: |
#   A misspelled or unknown field (runAsNonroot, securityContex, readOnlyRootFileSystem) is
#   dropped by the API server, so the setting the author meant is not in effect while the
#   manifest looks right; a value of the wrong type (privileged: "true", runAsUser: "0",
#   capabilities.drop: ALL) makes the API server reject the object, and must never be read as
#   unset. Every object of a built-in kind dxguard checks (workloads, their pod templates and
#   containers, security contexts, volumes, probes, tolerations and affinity, NetworkPolicies,
#   RBAC, ServiceAccounts, Namespaces, RuntimeClasses) is compared, section by section, with the
#   field names and JSON types of the Kubernetes API types (generated from the kubernetes Python
#   client's models), and so is every pod spec inside a custom resource (Argo Rollouts, Knative
#   Services, …) or a built-in kind of a retired apiVersion; each unknown field fails with the
#   field it was probably meant to be, each mistyped value with the type the API expects. The
#   keys of free-form maps (labels, annotations, nodeSelector) and sections outside the security
#   settings (status, other volume sources) are not judged.
# scope: package
# custom:
#   id: DXG-K8S-ISO-019
#   family: isolation
#   severity: high
#   targets:
#     k8s: [Pod, PodTemplate, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, NetworkPolicy, Role, ClusterRole, RoleBinding, ClusterRoleBinding, ServiceAccount, Namespace, RuntimeClass]
#   scope: object
#   remediation: Correct the field name to the one the Kubernetes API defines, and write each value as the type the API expects (true/false, numbers and strings without or with quotes as the API types them); kubectl apply --dry-run=server --validate=strict shows the same.
package dxguard.checks.k8s.api_fields

import data.lib.check
import data.lib.k8s

meta := check.meta(rego.metadata.chain())

# Resources of a checked kind and apiVersion, with their root API type.
examined := {res.id: spec.type |
	some res in k8s.resources
	spec := k8s.api_kinds[res.kind]
	object.get(res, "apiVersion", object.get(res.object, "apiVersion", "")) == spec.apiVersion
}

# The pod specs of every other workload (a custom resource's, or a built-in kind's under a
# retired apiVersion), walked from the pod spec as a V1PodSpec.
other_pod_specs contains ps if {
	judged := examined
	some ps in k8s.pod_specs
	not judged[ps.resource]
}

# Every problem of every examined resource: [resource id, field path, message]. The sections of
# each root type come laid out for this walk from lib.k8s (api_top, api_by_depth: generated
# constants, never rebuilt per query).
problems contains [id, path, msg] if {
	resources := k8s.by_id
	some id, root in examined
	some [path, msg] in walk(resources[id].object, root, "")
}

problems contains [ps.resource, path, msg] if {
	some ps in other_pod_specs
	some [path, msg] in walk(ps.spec, "V1PodSpec", ps.path)
}

# [field path, message] of every unknown or mistyped field in obj, a value of API type root.
# Segments of a section are joined by list wildcards (at most three, so the walk is unrolled
# here instead of recursive).
walk(obj, root, prefix) := array.concat(
	array.concat(walk_top(obj, root, prefix), walk_depth(obj, root, prefix, 2)),
	array.concat(walk_depth(obj, root, prefix, 3), walk_depth(obj, root, prefix, 4)),
)

walk_top(obj, root, prefix) := [[join(prefix, field_path(s.text[0], key)), msg] |
	some s in k8s.api_top[root]
	value := object.get(obj, s.segments[0], null)
	is_object(value)
	some [key, msg] in section_problems(value, s.type)
]

walk_depth(obj, root, prefix, 2) := [[join(prefix, field_path(path, key)), msg] |
	some g in k8s.api_by_depth[root][2]
	some i, x in arr(object.get(obj, g.list, null))
	some s in g.sections
	value := object.get(x, s.segments[1], null)
	is_object(value)
	some [key, msg] in section_problems(value, s.type)
	path := concat("", [s.text[0], sprintf("[%d]", [i]), s.text[1]])
]

walk_depth(obj, root, prefix, 3) := [[join(prefix, field_path(path, key)), msg] |
	some g in k8s.api_by_depth[root][3]
	some i, x in arr(object.get(obj, g.list, null))
	some s in g.sections
	some j, y in arr(object.get(x, s.segments[1], null))
	value := object.get(y, s.segments[2], null)
	is_object(value)
	some [key, msg] in section_problems(value, s.type)
	path := concat("", [s.text[0], sprintf("[%d]", [i]), s.text[1], sprintf("[%d]", [j]), s.text[2]])
]

walk_depth(obj, root, prefix, 4) := [[join(prefix, field_path(path, key)), msg] |
	some g in k8s.api_by_depth[root][4]
	some i, x in arr(object.get(obj, g.list, null))
	some s in g.sections
	some j, y in arr(object.get(x, s.segments[1], null))
	some l, z in arr(object.get(y, s.segments[2], null))
	value := object.get(z, s.segments[3], null)
	is_object(value)
	some [key, msg] in section_problems(value, s.type)
	path := concat("", [s.text[0], sprintf("[%d]", [i]), s.text[1], sprintf("[%d]", [j]), s.text[2], sprintf("[%d]", [l]), s.text[3]])
]

# The list items of x ([] when x is not a list; an item that is not a mapping is walked no
# further, and is a mistyped value of the list that holds it).
arr(x) := x if is_array(x)

else := []

# [key, message] of each unknown key of a section and each known key whose value is not of its
# API type: one pass over the section's keys, each looked up in the type's field tables (no set
# is built per section: most sections have no problem at all).
section_problems(value, type) := array.concat(
	[[key, unknown_message(key, type)] |
		known := k8s.api_fields[type]
		some key, _ in value
		not key in known
	],
	[[key, mistyped_message(key, type, json_type, v)] |
		typed := k8s.api_field_types[type]
		some key, v in value
		json_type := typed[key]
		not k8s.type_ok(json_type, v)
	],
)

unknown_message(key, type) := sprintf("unknown field %q in %s: the API server drops it, so the setting is not in effect%s", [key, trim_prefix(type, "V1"), hint(key, type)])

mistyped_message(key, type, json_type, v) := sprintf("%s of %s is %s, but the API types it as %s: the API server rejects the object, and no check may read it as unset; %s", [key, trim_prefix(type, "V1"), k8s.describe_value(v, json_type), k8s.type_names[json_type], k8s.type_fixes[json_type]])

field_path(path, key) := key if path == ""

else := concat(".", [path, key])

join("", path) := path

join(prefix, path) := concat(".", [prefix, path]) if prefix != ""

# Every examined resource, examined once: each problem at its path, or, when it has none, the
# resource as one passing subject (at its metadata; a custom resource at each pod spec).
subjects contains check.subject(id, path, msg) if {
	some [id, path, msg] in problems
}

subjects contains check.subject(id, "metadata", "") if {
	failed := failed_ids
	some id, _ in examined
	not id in failed
}

subjects contains check.subject(ps.resource, ps.path, "") if {
	failed := failed_ids
	some ps in other_pod_specs
	not ps.resource in failed
}

failed_ids := {id | some [id, _, _] in problems}

hint(key, type) := sprintf("; did you mean %q?", [s]) if {
	s := suggestion(key, type)
} else := "; remove it or use a field the API defines"

# The known field the unknown one was probably meant to be: the same name in another case, a
# prefix or extension of it, or one edit (a wrong, missing, extra or swapped letter) away.
suggestion(key, type) := s if {
	is_string(key)
	candidates := [f | some f in k8s.api_fields[type]; lower(f) == lower(key)]
	count(candidates) > 0
	s := candidates[0]
} else := s if {
	is_string(key)
	candidates := sort([f | some f in k8s.api_fields[type]; near(lower(key), lower(f))])
	count(candidates) > 0
	s := candidates[0]
}

near(a, b) if {
	abs(count(a) - count(b)) <= 2
	count(a) >= 4
	startswith(b, a)
}

near(a, b) if {
	count(b) >= 4
	startswith(a, b)
	count(a) - count(b) <= 2
}

near(a, b) if {
	count(a) == count(b)
	count(a) >= 4
	count([i | some i in numbers.range(0, count(a) - 1); substring(a, i, 1) != substring(b, i, 1)]) <= 2
	sort(split(a, "")) == sort(split(b, ""))
}

near(a, b) if {
	count(a) == count(b)
	count(a) >= 4
	count([i | some i in numbers.range(0, count(a) - 1); substring(a, i, 1) != substring(b, i, 1)]) == 1
}

near(a, b) if one_deleted(a, b)

near(a, b) if one_deleted(b, a)

# True when deleting one character of long gives short.
one_deleted(long, short) if {
	count(long) == count(short) + 1
	count(short) >= 4
	some i in numbers.range(0, count(long) - 1)
	concat("", [substring(long, 0, i), substring(long, i + 1, -1)]) == short
}
