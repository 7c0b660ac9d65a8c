package lib.image_reference_test

# The published cases of github.com/distribution/reference (commit 0965666, the grammar
# rego/lib/image.rego follows): reference_test.go TestReferenceParse, normalize_test.go
# TestValidateReferenceName, TestValidateRemoteName and TestParseDockerRef. The library's tests
# parse references with ParseNormalizedNamed (what kubelet and containerd call) or Parse; each
# valid case below is valid through both. One difference on purpose: the library's test binary
# does not link sha512, so it calls validname@sha512:... unsupported; runtimes link it, and so
# sha512 digests are valid here (test_sha384_and_sha512_digests_are_valid).

import data.lib.image

valid_references := [
	"test_com",
	"test.com:tag",
	"test.com:5000",
	"test.com/repo:tag",
	"test:5000/repo",
	"test:5000/repo:tag",
	"test:5000/repo@sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
	"test:5000/repo:tag@sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
	"lowercase:Uppercase",
	"a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a:tag-puts-this-over-max",
	"sub-dom1.foo.com/bar/baz/quux",
	"sub-dom1.foo.com/bar/baz/quux:some-long-tag",
	"b.gcr.io/test.example.com/my-app:test.example.com",
	"xn--n3h.com/myimage:xn--n3h.com",
	"xn--7o8h.com/myimage:xn--7o8h.com@sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
	"foo_bar.com:8080",
	"foo/foo_bar.com:8080",
	"192.168.1.1",
	"192.168.1.1:tag",
	"192.168.1.1:5000",
	"192.168.1.1/repo",
	"192.168.1.1:5000/repo",
	"192.168.1.1:5000/repo:5050",
	"[2001:db8::1]/repo",
	"[2001:db8:1:2:3:4:5:6]/repo:tag",
	"[2001:db8::1]:5000/repo",
	"[2001:db8::1]:5000/repo:tag",
	"[2001:db8::1]:5000/repo@sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
	"[2001:db8::1]:5000/repo:tag@sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
	"[2001:db8::]:5000/repo",
	"[::1]:5000/repo",
	"example.com/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:tag",
	"docker/docker",
	"library/debian",
	"debian",
	"localhost/library/debian",
	"localhost/debian",
	"LOCALDOMAIN/library/debian",
	"LOCALDOMAIN/debian",
	"docker.io/docker/docker",
	"docker.io/library/debian",
	"docker.io/debian",
	"index.docker.io/docker/docker",
	"index.docker.io/library/debian",
	"index.docker.io/debian",
	"127.0.0.1:5000/docker/docker",
	"127.0.0.1:5000/library/debian",
	"127.0.0.1:5000/debian",
	"192.168.0.1",
	"192.168.0.1:80",
	"192.168.0.1:8/debian",
	"192.168.0.2:25000/debian",
	"thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev",
	"[fc00::1]:5000/docker",
	"[fc00::1]:5000/docker/docker",
	"[fc00:1:2:3:4:5:6:7]:5000/library/debian",
	"docker.io/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a",
	"Docker/docker",
	"DOCKER/docker",
	"docker-rules/docker",
	"docker---rules/docker",
	"doc/docker",
	"d/docker",
	"jess/t",
	"dock__er/docker",
	"busybox",
	"busybox:latest",
	"busybox@sha256:e6693c20186f837fc393390135d8a598a96a833917917789d63766cab6c59582",
	"library/busybox",
	"docker.io/busybox",
	"docker.io/library/busybox",
	"docker.io/busybox:latest",
	"library/busybox:latest",
	"docker.io/library/busybox:latest",
	"gcr.io/library/busybox",
	"gcr.io/library/busybox:latest@sha256:e6693c20186f837fc393390135d8a598a96a833917917789d63766cab6c59582",
]

# [reference, a word of the reason given] ("" when any reason will do)
invalid_references := [
	["", "is empty"],
	[":justtag", "grammar"],
	["@sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", "grammar"],
	["repo@sha256:ffffffffffffffffffffffffffffffffff", "64"],
	["validname@invaliddigest:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", "do not verify"],
	["Uppercase:tag", "upper-case"],
	["test:5000/Uppercase/lowercase:tag", "upper-case"],
	["domain/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:tag", "longer than 255"],
	["aa/asdf$$^/aa", "grammar"],
	["[2001:db8::1]", "grammar"],
	["[2001:db8::1]:5000", "grammar"],
	["[2001:db8::1]:tag", "grammar"],
	["[fe80::1%eth0]:5000/repo", "grammar"],
	["[fe80::1%@invalidzone]:5000/repo", ""],
	["https://github.com/docker/docker", ""],
	["docker/Docker", "upper-case"],
	["-docker", "grammar"],
	["-docker/docker", "grammar"],
	["-docker.io/docker/docker", "grammar"],
	["docker///docker", "grammar"],
	["docker.io/docker/Docker", "upper-case"],
	["docker.io/docker///docker", "grammar"],
	["[fc00::1]", "grammar"],
	["[fc00::1]:5000", "grammar"],
	["fc00::1:5000/debian", ""],
	["[fe80::1%eth0]:5000/debian", "grammar"],
	["[2001:db8:3:4::192.0.2.33]:5000/debian", "grammar"],
	["1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a", "hexadecimal image id"],
	["docker-/docker", "grammar"],
	["-docker-/docker", "grammar"],
	["____/____", "grammar"],
	["_docker/_docker", "grammar"],
	["dock..er/docker", "grammar"],
	["dock_.er/docker", "grammar"],
	["dock-.er/docker", "grammar"],
	["docker/", "grammar"],
	["this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255/docker", "longer than 255"],
]

test_published_valid_references_are_valid if {
	wrong := [ref | some ref in valid_references; not image.valid(ref)]
	print("valid references reported invalid:", wrong)
	wrong == []
}

test_published_invalid_references_are_invalid_with_their_reason if {
	wrong := [[ref, why, got] |
		some [ref, why] in invalid_references
		got := object.get({"p": image.reference_problem(ref)}, "p", "(valid)")
		not contains(got, why)
	]
	print("invalid references accepted or with another reason:", wrong)
	wrong == []
}

test_invalid_references_are_never_pinned_and_have_no_digest if {
	digest := concat("", ["sha256:", concat("", [x | some _ in numbers.range(1, 64); x := "a"])])
	refs := [
		concat("", ["registry.example/app@", digest, "@", digest]), # two digests
		concat("", ["registry.example/App@", digest]), # an upper-case repository
		"registry.example/app@sha256:0123456789abcdef", # a digest of the wrong length
		concat("", ["registry.example/app:-bad@", digest]), # a tag may not start with '-'
		concat("", ["registry.example/app:", concat("", [x | some _ in numbers.range(1, 129); x := "t"]), "@", digest]),
		concat("", ["registry.example/app@", upper(digest)]), # upper-case hex
		concat("", ["registry.example/app@md5:", substring(digest, 7, 32)]), # an algorithm runtimes do not verify
		concat("", [" registry.example/app@", digest]), # leading white space
	]
	wrong := [ref | some ref in refs; image.pinned(ref)]
	print("invalid but pinned:", wrong)
	wrong == []
	every ref in refs {
		image.digest_of(ref) == ""
		not image.valid(ref)
	}
	image.pinned(concat("", ["registry.example/app:1.0@", digest]))
}

test_sha384_and_sha512_digests_are_valid if {
	image.valid(concat("", ["r.example/a@sha384:", concat("", [x | some _ in numbers.range(1, 96); x := "b"])]))
	image.valid(concat("", ["r.example/a@sha512:", concat("", [x | some _ in numbers.range(1, 128); x := "c"])]))
	not image.valid(concat("", ["r.example/a@sha512:", concat("", [x | some _ in numbers.range(1, 64); x := "c"])]))
}

test_domain_follows_the_runtime_normalisation if {
	image.parse("Docker/docker").registry == "Docker" # upper case: a host name (normalize.go)
	image.parse("index.docker.io/library/debian").registry == "docker.io"
	image.parse("localhost/debian").registry == "localhost"
	image.parse("library/debian:12").registry == "docker.io"
	image.parse("[::1]:5000/repo:tag").registry == "[::1]:5000"
	image.parse("[::1]:5000/repo:tag").tag == "tag"
}
