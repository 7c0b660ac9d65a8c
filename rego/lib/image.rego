# METADATA
# title: Image reference helpers
# description: |
#   Parse an OCI image reference ([registry/]repository[:tag][@digest]) the way container
#   runtimes do: with the grammar of github.com/distribution/reference (regexp.go) and its
#   normalisation (normalize.go ParseNormalizedNamed, what kubelet and containerd call). A
#   registry is the first component when it has a dot or a port, is localhost, or has upper-case
#   letters; otherwise the image comes from Docker Hub. A reference no runtime can pull is
#   invalid, and an invalid reference has no digest: it is never counted as pinned.
package lib.image

# A digest pinned by content: algorithm sha256 and 64 lowercase hex characters.
digest_pattern := `^sha256:[a-f0-9]{64}$`

# -- the grammar (distribution/reference regexp.go @ 0965666, RE2 as Go and OPA read it) -------

alphanumeric := `[a-z0-9]+`

separator := `(?:[._]|__|[-]+)`

domain_component := `(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])`

tag_pattern := `[\w][\w.-]{0,127}`

digest_grammar := `[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][[:xdigit:]]{32,}`

domain_and_port := concat("", [
	`(?:`, domain_component, `(?:\.`, domain_component, `)*`, `|\[(?:[a-fA-F0-9:]+)\])`,
	`(?::[0-9]+)?`,
])

path_component := concat("", [alphanumeric, `(?:`, separator, alphanumeric, `)*`])

remote_name := concat("", [path_component, `(?:/`, path_component, `)*`])

name_pattern := concat("", [`^(?:`, domain_and_port, `/)?`, remote_name, `$`])

# reference := name [ ":" tag ] [ "@" digest ]; name := [domain '/'] remote-name
reference_pattern := concat("", [
	`^((?:`, domain_and_port, `/)?`, remote_name, `)`,
	`(?::(`, tag_pattern, `))?(?:@(`, digest_grammar, `))?$`,
])

# go-digest: the algorithms a runtime verifies, with the length of their hex encoding.
digest_hex_length := {"sha256": 64, "sha384": 96, "sha512": 128}

# -- normalisation (normalize.go splitDockerDomain) ------------------------------------------

# [domain, remainder] of a reference as a runtime splits it: "nginx:1" is docker.io and
# library/nginx:1.
split_domain(ref) := ["docker.io", concat("/", ["library", ref])] if {
	not contains(ref, "/")
} else := [domain, library_prefixed(domain, rest)] if {
	[domain, rest] := split_first_component(ref)
}

split_first_component(ref) := [domain, rest] if {
	i := indexof(ref, "/")
	first := substring(ref, 0, i)
	[domain, rest] := domain_of(first, substring(ref, i + 1, -1), ref)
}

domain_of(first, rest, whole) := [first, rest] if {
	first == "localhost"
} else := ["docker.io", rest] if {
	first == "index.docker.io"
} else := [first, rest] if {
	regex.match(`[.:]`, first)
} else := [first, rest] if {
	lower(first) != first
} else := ["docker.io", whole]

# Familiar Docker Hub names live in library/: docker.io/nginx is docker.io/library/nginx.
library_prefixed(domain, rest) := concat("/", ["library", rest]) if {
	domain == "docker.io"
	not contains(rest, "/")
} else := rest

# -- validity ----------------------------------------------------------------------------------

# Why a runtime cannot pull the reference; undefined when it can. In the order
# ParseNormalizedNamed and digest.Parse check.
reference_problem(ref) := "is empty" if {
	ref == ""
} else := "is a 64-character hexadecimal image id, not a repository name" if {
	regex.match(`^[a-f0-9]{64}$`, ref)
} else := "has more than one digest ('@')" if {
	count(indexof_n(ref, "@")) > 1
} else := sprintf("has upper-case letters in the repository name %q; repository names are lower-case", [remote]) if {
	[_, remainder] := split_domain(ref)
	remote := split(remainder, ":")[0]
	lower(remote) != remote
} else := problem if {
	[domain, remainder] := split_domain(ref)
	problem := grammar_problem(concat("/", [domain, remainder]))
}

grammar_problem(full) := sprintf("has an invalid tag %q (letters, digits, '_', '.' or '-'; at most 128; not starting with '.' or '-')", [tag]) if {
	not regex.match(reference_pattern, full)
	tag := tag_part(full)
	name := split(full, "@")[0]
	regex.match(name_pattern, substring(name, 0, (count(name) - count(tag)) - 1))
	not regex.match(concat("", [`^`, tag_pattern, `$`]), tag)
} else := problem if {
	not regex.match(reference_pattern, full)
	digest := split(full, "@")[1]
	not regex.match(concat("", [`^`, digest_grammar, `$`]), digest)
	problem := malformed_digest(digest)
} else := "does not follow the image reference grammar [registry/]repository[:tag][@digest]" if {
	not regex.match(reference_pattern, full)
} else := "has a repository name longer than 255 characters" if {
	[_, name, _, _] := regex.find_all_string_submatch_n(reference_pattern, full, 1)[0]
	(count(name) - count(split(name, "/")[0])) - 1 > 255
} else := problem if {
	[_, _, _, digest] := regex.find_all_string_submatch_n(reference_pattern, full, 1)[0]
	digest != ""
	problem := digest_problem(digest)
}

# A digest the grammar refuses: too short (said with its length), or not algorithm:hex at all.
malformed_digest(digest) := digest_problem(digest) if {
	regex.match(`^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[[:xdigit:]]+$`, digest)
} else := "has a malformed digest (algorithm:hex after '@')"

# The tag part of a reference that fails the grammar: after the last ':' of the last path
# component, before any '@'.
tag_part(full) := tag if {
	name := split(full, "@")[0]
	parts := split(name, "/")
	last := parts[count(parts) - 1]
	contains(last, ":")
	tag := substring(last, indexof(last, ":") + 1, -1)
}

digest_problem(digest) := sprintf("uses the digest algorithm %q, which runtimes do not verify (sha256, sha384, sha512)", [algorithm]) if {
	algorithm := split(digest, ":")[0]
	not digest_hex_length[algorithm]
} else := sprintf("has a %s digest of %d hex characters; it must have %d", [algorithm, count(hex), digest_hex_length[algorithm]]) if {
	[algorithm, hex] := split(digest, ":")
	count(hex) != digest_hex_length[algorithm]
} else := "has a digest that is not lower-case hexadecimal" if {
	hex := split(digest, ":")[1]
	not regex.match(`^[a-f0-9]+$`, hex)
}

# True when a runtime can pull the reference.
valid(ref) if {
	not reference_problem(ref)
} else := false

# -- parts --------------------------------------------------------------------------------------

parse(ref) := {
	"registry": registry(name),
	"repository": repository(name),
	"tag": tag(name),
	"digest": digest_of(ref),
	"valid": valid(ref),
} if {
	name := split(ref, "@")[0]
}

# The digest after '@' of a valid reference, or "" when the reference has none or is invalid.
digest_of(ref) := split(ref, "@")[1] if {
	contains(ref, "@")
	valid(ref)
} else := ""

# The tag, or "" when the name has none. A ':' counts only after the last '/', so that
# "registry:5000/app" has no tag.
tag(name) := t if {
	last := last_component(name)
	contains(last, ":")
	t := split(last, ":")[1]
} else := ""

last_component(name) := parts[count(parts) - 1] if parts := split(name, "/")

name_without_tag(name) := trim_suffix(name, concat("", [":", t])) if {
	t := tag(name)
	t != ""
} else := name

registry(name) := "docker.io" if {
	startswith(name, "index.docker.io/")
} else := first if {
	parts := split(name, "/")
	count(parts) > 1
	first := parts[0]
	explicit_registry(first)
} else := "docker.io"

explicit_registry(host) if contains(host, ".")

explicit_registry(host) if contains(host, ":")

explicit_registry("localhost")

explicit_registry(host) if lower(host) != host

repository(name) := concat("/", array.slice(parts, 1, count(parts))) if {
	parts := split(name_without_tag(name), "/")
	count(parts) > 1
	explicit_registry(parts[0])
} else := name_without_tag(name)

# True when the reference is valid and carries a well-formed sha256 digest.
pinned(ref) if regex.match(digest_pattern, digest_of(ref))
