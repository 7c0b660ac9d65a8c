# METADATA
# title: Check helpers
# description: |
#   How a check names itself and states what it examined. A check states each subject it
#   examines ONCE, through `subject` or `named_subject`, with its problem when there is one
#   ("" when there is none). dxguard.main derives pass and fail from that statement (row), so
#   pass and fail can never drift apart: every examined subject gets exactly one status. A
#   check's id lives once, in its METADATA block; rows carry it from there.
package lib.check

# The package-scoped annotations of the calling check, plus the package path.
# Call as: meta := check.meta(rego.metadata.chain())
meta(chain) := object.union(entry.annotations, {"package": concat(".", entry.path)}) if {
	some entry in chain
	entry.annotations.scope == "package"
}

# A subject the check examined: the resource (its id), the field path inside it, and the
# problem found there ("" when there is none). A problem says what is wrong and how to fix it.
subject(resource, path, problem) := {"resource": resource, "path": path, "problem": problem}

# The same, about a named subject within the resource (a CVE id, a namespace, a limit name),
# so that two subjects on one field stay apart and a waiver can select exactly one of them.
named_subject(resource, path, name, problem) := {
	"resource": resource,
	"path": path,
	"subject": name,
	"problem": problem,
}

# The result row of a subject: status fail with the problem as message, or status pass. A
# subject whose problem is neither "" nor a message (a mistake in a check) gets status
# "malformed", which the engine refuses: a broken check is never a pass. Rows stay compact: a
# large scan examines millions of subjects.
row(m, s) := row_of(m.custom.id, s)

# The row of a subject of the check with this id (row, without the metadata around the id).
# Written out per case, without object.union: every examined subject becomes a row.
row_of(id, s) := {"check": id, "resource": s.resource, "path": s.path, "status": "pass"} if {
	s.problem == ""
	not has_subject(s)
} else := {"check": id, "resource": s.resource, "path": s.path, "status": "pass", "subject": s.subject} if {
	s.problem == ""
} else := {"check": id, "resource": s.resource, "path": s.path, "status": "fail", "message": s.problem} if {
	is_string(s.problem)
	not has_subject(s)
} else := {"check": id, "resource": s.resource, "path": s.path, "status": "fail", "message": s.problem, "subject": s.subject} if {
	is_string(s.problem)
} else := base_row(id, s, "malformed")

# A subject that names itself (named_subject): a null subject is none, as in a row.
has_subject(s) if s.subject != null

base_row(id, s, status) := object.union(
	{
		"check": id,
		"resource": object.get(s, "resource", null),
		"path": object.get(s, "path", null),
		"status": status,
	},
	{"subject": s.subject | "subject" in object.keys(s)},
)

# The problems found, joined into one message (for a subject with several at once).
problems(list) := concat("; ", list)
