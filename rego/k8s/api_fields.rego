# METADATA
# title: Security settings are spelled as the Kubernetes API defines them
# description: |
#   A misspelled or unknown field (runAsNonroot, securityContex, readOnlyRootFileSystem) is
#   dropped by the API server, so the setting the author meant is not in effect while the
#   manifest looks right. Every object of a built-in kind dxguard checks (workloads, their pod
#   templates and containers, security contexts, volumes, tolerations and affinity,
#   NetworkPolicies, RBAC, ServiceAccounts, Namespaces, RuntimeClasses) is compared, section by
#   section, with the field names of the Kubernetes API types (generated from the kubernetes
#   Python client's models); each unknown field fails with the field it was probably meant to
#   be. Free-form maps (labels, annotations, nodeSelector) and sections outside the security
#   settings (status, probes, other volume sources) are not judged.
# scope: package
# custom:
#   id: DXG-K8S-ISO-019
#   family: isolation
#   severity: high
#   targets:
#     k8s: [Pod, PodTemplate, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, NetworkPolicy, Role, ClusterRole, RoleBinding, ClusterRoleBinding, ServiceAccount, Namespace, RuntimeClass]
#   scope: object
#   remediation: Correct the field name to the one the Kubernetes API defines (kubectl apply --dry-run=server --validate=strict shows the same), so the setting takes effect.
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

# The sections of each root type come laid out for this walk from lib.k8s (api_top,
# api_by_depth: generated constants, never rebuilt per query).

# Every section present in the object, with its API type. Segments are joined by list
# wildcards (at most three, so the walk is unrolled here instead of recursive). Only the
# unknown keys are collected (values are not copied into sets), and a key is unknown when it is
# in the section but not in its known fields (one set difference per section).
unknown contains [res.id, field_path(s.text[0], key), key, s.type] if {
	resources := k8s.by_id
	sections := k8s.api_top
	some id, root in examined
	res := resources[id]
	some s in sections[root]
	value := object.get(res.object, s.segments[0], null)
	is_object(value)
	some key in (object.keys(value) - k8s.api_fields[s.type])
}

unknown contains [res.id, field_path(path, key), key, s.type] if {
	resources := k8s.by_id
	groups := k8s.api_by_depth
	some id, root in examined
	res := resources[id]
	some g in groups[root][2]
	xs := object.get(res.object, g.list, null)
	is_array(xs)
	some i, x in xs
	some s in g.sections
	value := object.get(x, s.segments[1], null)
	is_object(value)
	some key in (object.keys(value) - k8s.api_fields[s.type])
	path := concat("", [s.text[0], sprintf("[%d]", [i]), s.text[1]])
}

unknown contains [res.id, field_path(path, key), key, s.type] if {
	resources := k8s.by_id
	groups := k8s.api_by_depth
	some id, root in examined
	res := resources[id]
	some g in groups[root][3]
	xs := object.get(res.object, g.list, null)
	is_array(xs)
	some i, x in xs
	some s in g.sections
	ys := object.get(x, s.segments[1], null)
	is_array(ys)
	some j, y in ys
	value := object.get(y, s.segments[2], null)
	is_object(value)
	some key in (object.keys(value) - k8s.api_fields[s.type])
	path := concat("", [s.text[0], sprintf("[%d]", [i]), s.text[1], sprintf("[%d]", [j]), s.text[2]])
}

unknown contains [res.id, field_path(path, key), key, s.type] if {
	resources := k8s.by_id
	groups := k8s.api_by_depth
	some id, root in examined
	res := resources[id]
	some g in groups[root][4]
	xs := object.get(res.object, g.list, null)
	is_array(xs)
	some i, x in xs
	some s in g.sections
	ys := object.get(x, s.segments[1], null)
	is_array(ys)
	some j, y in ys
	zs := object.get(y, s.segments[2], null)
	is_array(zs)
	some l, z in zs
	value := object.get(z, s.segments[3], null)
	is_object(value)
	some key in (object.keys(value) - k8s.api_fields[s.type])
	path := concat("", [s.text[0], sprintf("[%d]", [i]), s.text[1], sprintf("[%d]", [j]), s.text[2], sprintf("[%d]", [l]), s.text[3]])
}

field_path(path, key) := key if path == ""

else := concat(".", [path, key])

# Every examined resource, examined once: each unknown field at its path, or, when it has none,
# the resource as one passing subject (at its metadata).
subjects contains check.subject(id, path, msg) if {
	some [id, path, key, type] in unknown
	msg := sprintf("unknown field %q in %s: the API server drops it, so the setting is not in effect%s", [key, trim_prefix(type, "V1"), hint(key, type)])
}

subjects contains check.subject(id, "metadata", "") if {
	failed := failed_ids
	some id, _ in examined
	not id in failed
}

failed_ids := {id | some [id, _, _, _] in unknown}

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
