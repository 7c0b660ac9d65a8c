# Builders for the VM resources that VM check tests feed to OPA. Test-only.
package lib.vm_fixtures_test

# A VM record as the loaders build it, with a normalized model.
vm(id, model) := {
	"id": id,
	"family": "vm",
	"kind": "VirtualMachine",
	"name": id,
	"namespace": object.get(model, "namespace", null),
	"object": {},
	"normalized": object.union(
		{"role": "vm", "format": "kubevirt", "platform": "kubevirt", "labels": {}, "namespace": null},
		model,
	),
}

clinical_labels := {"dxguard.io/tier": "clinical"}

research_labels := {"dxguard.io/tier": "research"}

tiers := {
	"clinical": {"namespaces": ["clinical", "clinical-*"], "labels": clinical_labels},
	"research": {"namespaces": ["research-*"], "labels": research_labels},
}

input_of(resources) := {"resources": resources}

statuses(results, id) := {s | some r in results; r.resource == id; s := r.status}

failed_paths(results) := {r.path | some r in results; r.status == "fail"}

passed_paths(results) := {r.path | some r in results; r.status == "pass"}

messages(results) := {r.message | some r in results; r.status == "fail"}
