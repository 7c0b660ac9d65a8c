# METADATA
# title: The image carries OCI annotations for version, revision, creation time and source
# description: |
#   Configuration identification needs every deployed item to name its version, the source
#   revision it was built from, when it was built and where its source lives. Every image
#   record in scope must carry each key of image_required_annotations (default the OCI
#   org.opencontainers.image.version, .revision, .created and .source) with a non-empty value,
#   as a manifest annotation or a config label. An image with neither its manifest nor its
#   configuration in the inputs fails for lack of evidence.
# scope: package
# custom:
#   id: DXG-IMG-PIN-001
#   family: pinning
#   severity: medium
#   targets:
#     image: [Image]
#   scope: object
#   inventory: [image_users]
#   remediation: Set the annotations at build time (docker buildx build --annotation or LABEL org.opencontainers.image.version=... in the Dockerfile) and add `skopeo inspect` or `docker inspect` output, or a scan report that includes the image config, to the inputs.
#   parameters: [image_required_annotations]
package dxguard.checks.image.annotations

import data.dxguard.config
import data.lib.check
import data.lib.supply_chain as sc

meta := check.meta(rego.metadata.chain())

map_of(m) := m if is_object(m)

else := {}

present(res, key) if object.get(map_of(res.normalized.annotations), key, "") != ""

present(res, key) if object.get(map_of(res.normalized.labels), key, "") != ""

missing(res) := [key | some key in config.parameters.image_required_annotations; not present(res, key)]

known(res) if is_object(res.normalized.annotations)

known(res) if is_object(res.normalized.labels)

# Every image record in scope, examined once.
subjects contains check.subject(res.id, "normalized.annotations", problem(res)) if {
	some res in sc.in_scope
}

problem(res) := sprintf(
	"%s (%s): no input shows its manifest annotations or config labels; add `skopeo inspect` or `docker inspect` output, or a scan report that includes the image config",
	[sc.label(res), sc.usage(res)],
) if {
	not known(res)
} else := sprintf(
	"%s (%s) lacks the OCI annotation(s) %s (neither a manifest annotation nor a config label carries them); set them at build time and redeploy the new digest",
	[sc.label(res), sc.usage(res), concat(", ", missing(res))],
) if {
	count(missing(res)) > 0
} else := ""
