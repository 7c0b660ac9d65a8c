# Builders for the resources that check tests feed to OPA. Test-only: files ending in _test.rego
# are never part of the policy bundle dxguard evaluates.
package lib.fixtures_test

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
config := {
	"tiers": {
		"clinical": {"namespaces": ["clinical", "clinical-*"], "labels": {"dxguard.io/tier": "clinical"}},
		"research": {"namespaces": ["research", "research-*"], "labels": {"dxguard.io/tier": "research"}},
	},
	"parameters": {
		"exempt_namespaces": ["kube-system"],
		"allowed_registries": [],
		"allowed_capabilities": ["NET_BIND_SERVICE"],
		"approved_runtime_classes": ["gvisor", "kata", "kata-qemu", "kata-clh", "kata-fc"],
		"approved_runtime_handlers": ["runsc", "kata", "kata-qemu", "kata-clh", "kata-fc"],
		"token_allowed_service_accounts": [],
		"forbidden_cluster_roles": ["cluster-admin"],
		"min_revision_history": 3,
		"required_labels": ["app.kubernetes.io/version", "dxguard.io/model-version", "dxguard.io/udi-di"],
		"clinical_node_selector": {"dxguard.io/node-pool": "clinical"},
		"clinical_node_taint": {"key": "dxguard.io/node-pool", "value": "clinical", "effect": "NoSchedule"},
		"cluster_evidence": "required",
		"device_lifetime_years": 2,
		"min_log_retention_years": 2,
		"audit_write_resources": [
			"pods", "configmaps", "secrets", "services", "serviceaccounts",
			"deployments.apps", "statefulsets.apps", "daemonsets.apps", "replicasets.apps",
			"jobs.batch", "cronjobs.batch", "networkpolicies.networking.k8s.io",
			"roles.rbac.authorization.k8s.io", "rolebindings.rbac.authorization.k8s.io",
		],
		"log_collectors": [
			"fluent-bit", "fluentd", "vector", "promtail", "alloy", "opentelemetry-collector",
			"opentelemetry-collector-contrib", "opentelemetry-collector-k8s", "filebeat",
			"elastic-agent", "datadog/agent", "splunk-otel-collector",
		],
		"log_sink_label": "dxguard.io/log-sink",
	},
}

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
