# METADATA
# title: Image reference helpers
# description: |
#   Parse an OCI image reference ([registry/]repository[:tag][@digest]) the way container
#   runtimes do: a registry is the first component when it has a dot or a port or is localhost;
#   otherwise the image comes from Docker Hub.
package lib.image

# A digest pinned by content: algorithm sha256 and 64 lowercase hex characters.
digest_pattern := `^sha256:[a-f0-9]{64}$`

parse(ref) := {
	"registry": registry(name),
	"repository": repository(name),
	"tag": tag(name),
	"digest": digest,
} if {
	name := split(ref, "@")[0]
	digest := digest_of(ref)
}

# The digest after '@', or "" when the reference has none.
digest_of(ref) := split(ref, "@")[1] if contains(ref, "@")

else := ""

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

registry(name) := first if {
	parts := split(name, "/")
	count(parts) > 1
	first := parts[0]
	explicit_registry(first)
} else := "docker.io"

explicit_registry(host) if contains(host, ".")

explicit_registry(host) if contains(host, ":")

explicit_registry("localhost")

repository(name) := concat("/", array.slice(parts, 1, count(parts))) if {
	parts := split(name_without_tag(name), "/")
	count(parts) > 1
	explicit_registry(parts[0])
} else := name_without_tag(name)

# True when the reference carries a well-formed sha256 digest.
pinned(ref) if regex.match(digest_pattern, parse(ref).digest)
