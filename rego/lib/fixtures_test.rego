# Builders for the resources that check tests feed to OPA. Test-only: files ending in _test.rego
# are never part of the policy bundle dxguard evaluates.
package lib.fixtures_test

import data.lib.defaults_test as defaults

digest := "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

pinned_image := concat("@", ["registry.example/pathology/slide-viewer:2.4.1", digest])

# A container that passes every foundation check.
good_container := {
	"name": "app",
	"image": pinned_image,
	"securityContext": {
		"runAsNonRoot": true,
		"runAsUser": 10001,
		"privileged": false,
	},
	"resources": {
		"limits": {"cpu": "1", "memory": "1Gi"},
		"requests": {"cpu": "1", "memory": "1Gi"},
	},
}

# A resource record as the loaders build it.
resource(id, kind, object) := {
	"id": id,
	"family": "k8s",
	"kind": kind,
	"name": "r",
	"namespace": "clinical",
	"object": object,
}

pod(id, spec) := resource(id, "Pod", {"apiVersion": "v1", "kind": "Pod", "spec": spec})

deployment(id, spec) := resource(id, "Deployment", {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"spec": {"template": {"spec": spec}},
})

cronjob(id, spec) := resource(id, "CronJob", {
	"apiVersion": "batch/v1",
	"kind": "CronJob",
	"spec": {"jobTemplate": {"spec": {"template": {"spec": spec}}}},
})

input_of(resources) := {"resources": resources}

# The results of one check for one resource, by status.
statuses(results, id) := {s | some r in results; r.resource == id; s := r.status}

failed_paths(results) := {r.path | some r in results; r.status == "fail"}

passed_paths(results) := {r.path | some r in results; r.status == "pass"}

# The default configuration as data.dxguard.config (tiers and every parameter default). A pytest
# (tests/test_k8s_checks.py) proves it equals what checker/config.py gives the policies.
config := defaults.config

# The default config with some parameters replaced.
config_with(overrides) := object.union(config, {"parameters": object.union(config.parameters, overrides)})

# A container that passes every container-level check (Pod Security restricted, Guaranteed QoS).
hardened_container := object.union(good_container, {"securityContext": {
	"runAsNonRoot": true,
	"runAsUser": 10001,
	"privileged": false,
	"allowPrivilegeEscalation": false,
	"readOnlyRootFilesystem": true,
	"capabilities": {"drop": ["ALL"]},
	"seccompProfile": {"type": "RuntimeDefault"},
}})

# A clinical pod spec that passes every pod-level check.
clinical_spec := {
	"automountServiceAccountToken": false,
	"runtimeClassName": "gvisor",
	"nodeSelector": {"dxguard.io/node-pool": "clinical"},
	"tolerations": [{"key": "dxguard.io/node-pool", "operator": "Equal", "value": "clinical", "effect": "NoSchedule"}],
	"securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}},
	"containers": [hardened_container],
}

# Labels a clinical workload carries under the default parameters.
clinical_labels := {
	"app.kubernetes.io/version": "2.4.1",
	"dxguard.io/model-version": "wsi-tumor-3.1.0",
	"dxguard.io/udi-di": "08712345678906",
	"dxguard.io/log-sink": "clinical-audit",
}

# A resource record in namespace ns with name n.
named(id, kind, n, ns, object) := {
	"id": id,
	"family": "k8s",
	"kind": kind,
	"name": n,
	"namespace": ns,
	"object": object,
}

# A Deployment in namespace ns with workload labels and a pod spec.
deployment_in(id, ns, labels, spec) := named(id, "Deployment", "d", ns, {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": "d", "namespace": ns, "labels": labels},
	"spec": {"template": {"metadata": {"labels": labels}, "spec": spec}},
})

namespace(id, n, labels) := named(id, "Namespace", n, null, {
	"apiVersion": "v1",
	"kind": "Namespace",
	"metadata": {"name": n, "labels": labels},
})

# A kube-apiserver static pod in kube-system with the given flags after the executable.
apiserver(id, flags) := named(id, "Pod", "kube-apiserver", "kube-system", {
	"apiVersion": "v1",
	"kind": "Pod",
	"metadata": {"name": "kube-apiserver", "namespace": "kube-system"},
	"spec": {"hostNetwork": true, "containers": [{
		"name": "kube-apiserver",
		"image": pinned_image,
		"command": array.concat(["kube-apiserver"], flags),
	}]},
})

audit_flags := [
	"--audit-policy-file=/etc/kubernetes/audit-policy.yaml",
	"--audit-log-path=/var/log/kubernetes/audit/audit.log",
	"--audit-log-maxage=731",
	"--audit-log-maxbackup=0",
]

# An audit.k8s.io/v1 Policy with the given rules.
audit_policy(id, rules) := object.union(
	named(id, "Policy", null, null, {"apiVersion": "audit.k8s.io/v1", "kind": "Policy", "rules": rules}),
	{"apiVersion": "audit.k8s.io/v1"},
)

# -- the inventory, as checker/inventory.py builds it ----------------------------------------

# The inventory of a set of resource records, with every collection filled (a scan fills only
# what its checks declare; a superset reads the same):
#   k8s[kind][namespace or ""][name or ""] -> [records, by id]
#   namespaces[ns] -> {"resources": [ids], "workloads": [workload summaries, by id]}
#   images[digest] -> [image evidence ids]; image_users[digest] -> [ids of the resources whose
#   images name it] ("" for references without a digest).
inventory_of(resources) := {
	"k8s": inventory_k8s(resources),
	"namespaces": inventory_namespaces(resources),
	"images": inventory_images(resources),
	"image_users": inventory_image_users(resources),
}

# An empty inventory (a query about objects that reference nothing else).
empty_inventory := inventory_of([])

str_or_empty(x) := x if is_string(x)

else := ""

# The inventory keys of a record: its namespace and name, "" when absent or null.
ns_of(r) := str_or_empty(object.get(r, "namespace", null))

name_of(r) := str_or_empty(object.get(r, "name", null))

# The records of a list, sorted by id.
by_id_order(recs) := [rec | some id in sort({r.id | some r in recs}); some rec in recs; rec.id == id]

k8s_records(resources) := [r | some r in resources; r.family == "k8s"]

inventory_k8s(resources) := {kind: {ns: {name: by_id_order(recs) |
	some name in {name_of(r) | some r in k8s_records(resources); r.kind == kind; ns_of(r) == ns}
	recs := [r | some r in k8s_records(resources); r.kind == kind; ns_of(r) == ns; name_of(r) == name]
} |
	some ns in {ns_of(r) | some r in k8s_records(resources); r.kind == kind}
} |
	some kind in {r.kind | some r in k8s_records(resources)}
}

pod_spec_keys := data.lib.k8s.pod_spec_keys

is_workload(r) if is_object(object.get(r.object, object.get(pod_spec_keys, r.kind, ["-"]), null))

inventory_namespaces(resources) := {ns: {
	"resources": sort([r.id | some r in k8s_records(resources); ns_of(r) == ns]),
	"workloads": by_id_order([workload_summary(r) | some r in k8s_records(resources); ns_of(r) == ns; is_workload(r)]),
} |
	some ns in ({r.name | some r in k8s_records(resources); r.kind == "Namespace"; is_string(r.name)} | {ns_of(r) | some r in k8s_records(resources); ns_of(r) != ""})
}

# A workload's record with its object cut down to its metadata (name, namespace, labels) and
# its pod template's labels: what tells its tier.
workload_summary(r) := object.union(object.remove(r, ["object"]), {"object": object.union(
	{"metadata": pick(object.get(r.object, "metadata", {}), {"name", "namespace", "labels"})},
	template_labels(r),
)})

pick(x, keys) := {k: v | some k, v in x; k in keys} if is_object(x)

else := {}

# The pod template's labels, nested where the template sits (beside the pod spec).
template_labels(r) := nest(parent, {"metadata": pick(template.metadata, {"labels"})}) if {
	keys := pod_spec_keys[r.kind]
	count(keys) > 1
	parent := array.slice(keys, 0, count(keys) - 1)
	template := object.get(r.object, parent, null)
	is_object(template.metadata)
} else := {}

nest(keys, v) := {keys[0]: v} if count(keys) == 1

else := {keys[0]: {keys[1]: v}} if count(keys) == 2

else := {keys[0]: {keys[1]: {keys[2]: v}}} if count(keys) == 3

else := {keys[0]: {keys[1]: {keys[2]: {keys[3]: v}}}} if count(keys) == 4

inventory_images(resources) := {d: sort([r.id | some r in resources; r.family == "image"; r.normalized.digest == d]) |
	some d in {r.normalized.digest | some r in resources; r.family == "image"; is_string(r.normalized.digest)}
}

# Every (resource id, image reference) pair: containers of workloads, and VM disk images.
image_refs(resources) := {[r.id, c.image] |
	some r in k8s_records(resources)
	spec := object.get(r.object, pod_spec_keys[r.kind], null)
	is_object(spec)
	some field in data.lib.k8s.container_fields
	some c in data.lib.k8s.arr_at(spec, [field])
	is_string(c.image)
	c.image != ""
} | {[r.id, d.image] |
	some r in resources
	r.family == "vm"
	some d in data.lib.k8s.arr_at(r, ["normalized", "disks"])
	is_string(d.image)
	d.image != ""
}

digest_of(ref) := parts[1] if {
	parts := split(ref, "@")
	count(parts) > 1
	regex.match(`^sha256:[a-f0-9]{64}$`, parts[1])
} else := ""

inventory_image_users(resources) := {d: sort({p[0] | some p in refs; digest_of(p[1]) == d}) |
	refs := image_refs(resources)
	some d in {digest_of(p[1]) | some p in refs}
}

# The rows of a check's subjects, as dxguard.main derives them (a set, for comparisons).
rows(meta, subjects) := {data.lib.check.row(meta, s) | some s in subjects}

# The (resource, path, subject) identities stated more than once: must be empty for every
# check, since each subject has exactly one status.
duplicate_subjects(subjects) := {id |
	ids := [[s.resource, s.path, object.get(s, "subject", "")] | some s in subjects]
	some i, id in ids
	some j, other in ids
	i < j
	other == id
}
