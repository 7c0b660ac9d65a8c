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
