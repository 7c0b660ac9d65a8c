# Builders for the image-record tests, and tests of the supply-chain join helpers. Test-only:
# files ending in _test.rego are never part of the policy bundle dxguard evaluates.
package lib.supply_chain_test

import data.lib.fixtures_test as fx
import data.lib.supply_chain as sc

as_of := "2026-11-26T00:00:00Z"

digest_a := "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

digest_b := "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

digest_c := "sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"

signer := {"issuer": "https://issuer.dx.example", "subject": "https://ci.dx.example/release/*"}

# The configuration the image check tests evaluate with (tiers and every image parameter).
cfg := {
	"tiers": {"clinical": {"namespaces": ["clinical"]}, "research": {"namespaces": ["research"]}},
	"parameters": {
		"image_evidence_tiers": ["clinical"],
		"image_scan_max_age_days": 7,
		"image_vulnerability_fail_severities": ["CRITICAL"],
		"image_vulnerability_fail_with_fix_severities": ["HIGH"],
		"image_sbom_component_fields": ["name", "version", "purl", "supplier"],
		"image_os_end_of_life": [
			{"family": "debian", "version": "10", "date": "2024-07-01"},
			{"family": "debian", "version": "12", "date": "2028-07-01"},
		],
		"image_signers": [signer],
		"image_required_annotations": [
			"org.opencontainers.image.version",
			"org.opencontainers.image.revision",
			"org.opencontainers.image.created",
			"org.opencontainers.image.source",
		],
		"image_builders": ["https://builder.dx.example/*"],
	},
}

# A record that passes every image check at as_of.
clean_record(digest) := {
	"digest": digest,
	"repository": "registry.dx.example/app",
	"repositories": ["registry.dx.example/app"],
	"tags": ["1.0.0"],
	"config_digests": [],
	"created": "2026-11-20T08:00:00Z",
	"labels": {
		"org.opencontainers.image.version": "1.0.0",
		"org.opencontainers.image.revision": "0123abc",
		"org.opencontainers.image.created": "2026-11-20T08:00:00Z",
	},
	"annotations": {"org.opencontainers.image.source": "https://git.dx.example/app"},
	"user": "10001:10001",
	"os": {"family": "debian", "name": "12.8", "eol": null, "file": "scan.json"},
	"scans": [{"scanner": "trivy", "version": "0.57.1", "time": "2026-11-24T06:00:00Z", "target": "app", "file": "scan.json"}],
	"vulnerabilities": [{"id": "CVE-2026-0001", "severity": "HIGH", "package": "zlib", "installed": "1.2", "fixed": null, "scanner": "trivy", "file": "scan.json"}],
	"sboms": [{
		"format": "CycloneDX", "spec_version": "1.6", "created": null, "tool": null, "file": "sbom.json",
		"components": [{"name": "zlib", "version": "1.2", "purl": "pkg:deb/debian/zlib@1.2", "supplier": "Debian"}],
	}],
	"signatures": [{
		"tool": "cosign", "verified": true, "identity": "https://ci.dx.example/release/app@refs/tags/v1",
		"issuer": "https://issuer.dx.example", "key": null, "time": null, "file": "verify.json",
	}],
	"provenance": [{
		"predicate_type": "https://slsa.dev/provenance/v1", "builder": "https://builder.dx.example/hosted",
		"build_type": "x", "finished": null, "envelope": "none", "file": "prov.json",
		"materials": [{"uri": "git+https://git.dx.example/app", "digest": {"gitCommit": "0123abc"}}],
	}],
	"sources": [{"file": "scan.json", "document": 0, "format": "trivy", "kind": "scan"}],
}

# An image resource as the loaders build it, with some record fields replaced.
image(digest, overrides) := {
	"id": concat(":", ["image", digest]),
	"family": "image",
	"kind": "Image",
	"name": concat("@", ["registry.dx.example/app", digest]),
	"namespace": null,
	"object": {"digest": digest},
	"normalized": object.union(clean_record(digest), overrides),
}

ref(digest) := concat("@", ["registry.dx.example/app:1.0.0", digest])

deployment(id, namespace, image_ref) := object.union(
	fx.deployment(id, {"containers": [{"name": "app", "image": image_ref}]}),
	{"namespace": namespace},
)

input_of(resources) := input_at(resources, as_of)

input_at(resources, time) := {"resources": resources, "context": {"as_of": time}}

# The inventory checker/inventory.py builds from these resources (its image collections):
# images[digest] -> ids of the image records, image_users[digest] -> ids of the workloads and
# VMs naming the digest ("" for references without one). Written out here, independently of
# lib.supply_chain, so that the tests do not derive the inventory from the code under test.
inventory_of(resources) := {
	"k8s": {},
	"images": {d: sort([r.id | some r in resources; r.family == "image"; r.normalized.digest == d]) |
		some r in resources
		r.family == "image"
		d := r.normalized.digest
	},
	"image_users": {d: sort({id | some [id, x] in pairs; ref_digest(x) == d}) |
		pairs := ref_pairs(resources)
		some [_, ref] in pairs
		d := ref_digest(ref)
	},
}

pod_spec_paths := [["spec"], ["spec", "template", "spec"], ["spec", "jobTemplate", "spec", "template", "spec"]]

ref_pairs(resources) := {[res.id, c.image] |
	some res in resources
	res.family == "k8s"
	some path in pod_spec_paths
	spec := object.get(res.object, path, {})
	some field in ["initContainers", "containers", "ephemeralContainers"]
	some c in object.get(spec, field, [])
	is_string(c.image)
	c.image != ""
} | {[res.id, d.image] |
	some res in resources
	res.family == "vm"
	some d in object.get(res, ["normalized", "disks"], [])
	is_string(d.image)
	d.image != ""
}

ref_digest(ref) := d if {
	parts := split(ref, "@")
	count(parts) > 1
	d := parts[1]
	regex.match(`^sha256:[a-f0-9]{64}$`, d)
} else := ""

# The results of one check for one resource id: [status, path, subject?] rows.
rows(results, id) := {[r.status, r.path, object.get(r, "subject", "")] | some r in results; r.resource == id}

messages(results) := {r.message | some r in results; r.status == "fail"}

test_records_are_the_image_resources_under_review if {
	inp := input_of([image(digest_a, {}), image(digest_b, {}), deployment("d", "clinical", ref(digest_a))])
	{r.id | some r in sc.records} == {concat(":", ["image", digest_a]), concat(":", ["image", digest_b])} with input as inp
}

test_evidence_is_looked_up_in_the_inventory if {
	inv := inventory_of([image(digest_a, {})])
	sc.has_evidence(digest_a) with data.inventory as inv
	not sc.has_evidence(digest_b) with data.inventory as inv
	not sc.has_evidence("") with data.inventory as inv
}

test_references_cover_every_container_kind_and_vm_disks if {
	spec := {
		"initContainers": [{"name": "i", "image": ref(digest_a)}],
		"containers": [{"name": "c", "image": "registry.dx.example/app:1.0.0"}],
		"ephemeralContainers": [{"name": "e", "image": ref(digest_b)}],
	}
	vm := {
		"id": "vm1", "family": "vm", "kind": "VirtualMachine", "name": "v", "namespace": "clinical",
		"object": {}, "normalized": {"disks": [{"name": "root", "image": ref(digest_c)}, {"name": "data"}]},
	}
	refs := sc.references with input as input_of([fx.cronjob("cj", spec), vm])
	{[r.resource, r.path, r.digest] | some r in refs} == {
		["cj", "spec.jobTemplate.spec.template.spec.initContainers[0].image", digest_a],
		["cj", "spec.jobTemplate.spec.template.spec.containers[0].image", ""],
		["cj", "spec.jobTemplate.spec.template.spec.ephemeralContainers[0].image", digest_b],
		["vm1", "normalized.disks[0].image", digest_c],
	}
}

test_only_referenced_records_are_in_scope if {
	all := [image(digest_a, {}), image(digest_b, {}), deployment("d", "clinical", ref(digest_a))]
	in_scope := sc.in_scope with input as input_of(all) with data.inventory as inventory_of(all)
	{r.id | some r in in_scope} == {"image:sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}
}

test_a_record_judged_alone_is_in_scope_by_the_inventory if {
	all := [image(digest_a, {}), deployment("d", "clinical", ref(digest_a))]
	inv := inventory_of(all)
	count(sc.in_scope) == 1 with input as input_of([image(digest_a, {})]) with data.inventory as inv
	sc.usage(image(digest_a, {})) == "used by 1 resource" with data.inventory as inv
}

test_a_tag_only_reference_keeps_records_out_of_scope if {
	all := [image(digest_a, {}), deployment("d", "clinical", "registry.dx.example/app:1.0.0")]
	count(sc.in_scope) == 0 with input as input_of(all) with data.inventory as inventory_of(all)
}

test_evidence_only_run_examines_every_record if {
	all := [image(digest_a, {}), image(digest_b, {})]
	count(sc.in_scope) == 2 with input as input_of(all) with data.inventory as inventory_of(all)
}

test_usage_counts_resources_per_digest if {
	all := [
		image(digest_a, {}),
		deployment("d1", "clinical", ref(digest_a)),
		deployment("d2", "research", ref(digest_a)),
	]
	sc.usage(image(digest_a, {})) == "used by 2 resources" with data.inventory as inventory_of(all)
}

test_usage_of_an_unreferenced_record_says_so if {
	all := [image(digest_a, {})]
	sc.usage(image(digest_a, {})) == "not referenced by any workload or VM in this input" with data.inventory as inventory_of(all)
}

test_sample_shortens_long_lists if {
	sc.sample(["a", "b", "c", "d"], 2) == "a, b and 2 more"
	sc.sample(["a"], 2) == "a"
}
