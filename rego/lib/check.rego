# METADATA
# title: Check helpers
# description: |
#   How a check names itself and shapes its results. A check's id lives once, in its METADATA
#   block; results carry it from there. Results stay compact: they are evidence of what was
#   examined, and a large scan produces millions of them.
package lib.check

# The package-scoped annotations of the calling check, plus the package path.
# Call as: meta := check.meta(rego.metadata.chain())
meta(chain) := object.union(entry.annotations, {"package": concat(".", entry.path)}) if {
	some entry in chain
	entry.annotations.scope == "package"
}

# A subject that was examined and passed.
pass(m, resource, path) := {
	"check": m.custom.id,
	"resource": resource,
	"path": path,
	"status": "pass",
}

# A subject that was examined and failed; msg says what is wrong and how to fix it.
fail(m, resource, path, msg) := {
	"check": m.custom.id,
	"resource": resource,
	"path": path,
	"status": "fail",
	"message": msg,
}

# A failure about a named subject within the resource (e.g. a CVE id of an image), so that a
# waiver can select exactly that subject.
fail_subject(m, resource, path, subject, msg) := object.union(fail(m, resource, path, msg), {"subject": subject})

# A pass about a named subject within the resource.
pass_subject(m, resource, path, subject) := object.union(pass(m, resource, path), {"subject": subject})
