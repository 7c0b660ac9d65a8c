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
