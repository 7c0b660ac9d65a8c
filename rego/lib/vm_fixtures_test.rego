# Builders for the VM resources that VM check tests feed to OPA. Test-only.
package lib.vm_fixtures_test

import data.lib.fixtures_test as fx

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

# The inventory of VM, image and Kubernetes records as checker/inventory.py builds it (VM disk
# images count as image users), for data.inventory.
inventory_of(resources) := fx.inventory_of(resources)

# The rows of a check's subjects, as dxguard.main derives them.
rows(meta, subjects) := fx.rows(meta, subjects)

statuses(results, id) := {s | some r in results; r.resource == id; s := r.status}

failed_paths(results) := {r.path | some r in results; r.status == "fail"}

passed_paths(results) := {r.path | some r in results; r.status == "pass"}

messages(results) := {r.message | some r in results; r.status == "fail"}

test_vm_disk_images_are_image_users_in_the_inventory if {
	digest := "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	vm1 := vm("vm-1", {"disks": [{"name": "root", "image": concat("@", ["registry.dx.example/os/rocky", digest])}]})
	vm2 := vm("vm-2", {"disks": [{"name": "root", "image": "registry.dx.example/os/rocky:9.4"}, {"name": "data"}]})
	inv := inventory_of([vm1, vm2])
	inv.image_users == {digest: ["vm-1"], "": ["vm-2"]}
	inv.k8s == {}
}
