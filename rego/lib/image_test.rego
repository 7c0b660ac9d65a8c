package lib.image_test

import data.lib.image

test_parse_docker_hub_short_name if {
	image.parse("nginx") == {"registry": "docker.io", "repository": "nginx", "tag": "", "digest": "", "valid": true}
}

test_parse_registry_with_port_is_not_a_tag if {
	p := image.parse("localhost:5000/team/app")
	p.registry == "localhost:5000"
	p.repository == "team/app"
	p.tag == ""
}

test_parse_tag_and_digest if {
	d := "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	p := image.parse(concat("", ["registry.example/a/b:1.2@", d]))
	p.registry == "registry.example"
	p.repository == "a/b"
	p.tag == "1.2"
	p.digest == d
	p.valid
}

test_a_truncated_digest_makes_the_reference_invalid_and_digestless if {
	p := image.parse("registry.example/a/b:1.2@sha256:abc")
	p.tag == "1.2"
	p.digest == ""
	not p.valid
}

test_pinned_requires_full_sha256 if {
	image.pinned("r.example/a@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
	not image.pinned("r.example/a@sha256:0123")
	not image.pinned("r.example/a:1.0")
	not image.pinned("")
}
