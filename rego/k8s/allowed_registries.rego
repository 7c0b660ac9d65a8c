# METADATA
# title: Images come from allowed registries
# description: |
#   Only images from registries the organisation controls (with their scanning, signing and
#   retention) may run; an image pulled from elsewhere bypasses that supply chain. Every
#   container image (init, regular, ephemeral; every namespace) is compared with the allow-list:
#   an entry is a registry host (registry.example, docker.io for Docker Hub) or a registry path
#   prefix (registry.example/pathology). With an empty allow-list the check is not configured
#   and examines nothing, which the report shows as not examined.
# scope: package
# custom:
#   id: DXG-K8S-PIN-003
#   family: pinning
#   severity: high
#   targets:
#     k8s: [Pod, PodTemplate, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob]
#   parameters: [allowed_registries]
#   scope: object
#   remediation: Mirror the image into an allowed registry (after scanning and signing it there) and reference it from there, or add the registry to allowed_registries.
package dxguard.checks.k8s.allowed_registries

import data.lib.check
import data.lib.image
import data.lib.k8s

meta := check.meta(rego.metadata.chain())

allowed := k8s.params.allowed_registries

# Every container's image, examined once, when the allow-list names any registry.
subjects contains check.subject(c.resource, concat(".", [c.path, "image"]), problem(c)) if {
	count(allowed) > 0
	some c in k8s.containers
}

problem(c) := "" if {
	allowed_ref(object.get(c.container, "image", ""))
} else := sprintf("%s image %q comes from %s, which is not an allowed registry (%s); mirror it into an allowed registry", [c.label, ref, image.parse(ref).registry, concat(", ", allowed)]) if {
	ref := object.get(c.container, "image", "")
}

allowed_ref(ref) if {
	ref != ""
	p := image.parse(ref)
	full := concat("/", [p.registry, p.repository])
	some entry in allowed
	prefix_of(trim_suffix(entry, "/"), p.registry, full)
}

prefix_of(entry, registry, _) if entry == registry

prefix_of(entry, _, full) if startswith(full, concat("", [entry, "/"]))
