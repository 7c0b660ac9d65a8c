"""Image references are judged as container runtimes parse them, end to end on the real OPA.

A reference no runtime can pull (two digests, an upper-case repository, a digest of the wrong
length, a bad tag...) is reported invalid by DXG-K8S-PIN-001 and DXG-K8S-PIN-002, never counted
as pinned. The grammar is github.com/distribution/reference's (rego/lib/image.rego; its published
cases are in rego/lib/image_reference_test.rego); these tests run it through `dxguard scan`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import failures_of, results_of, scan_json

D = "0123456789abcdef" * 4
POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: p{i}
  namespace: team
spec:
  containers:
    - name: app
      image: {image}
"""

INVALID = {  # reference → a word of the reason the message gives
    f"registry.example/app@sha256:{D}@sha256:{D}": "more than one digest",
    f"registry.example/App@sha256:{D}": "upper-case",
    f"Registry/team/App:1.0@sha256:{D}": "upper-case",
    "registry.example/app@sha256:0123456789abcdef": "64",
    f"registry.example/app@sha256:{D}0": "64",
    f"registry.example/app@sha256:{D.upper()}": "lower-case hexadecimal",
    f"registry.example/app@md5:{D[:32]}": "do not verify",
    f"registry.example/app:-1.0@sha256:{D}": "invalid tag",
    f"registry.example/app:{'t' * 129}@sha256:{D}": "invalid tag",
    f"registry.example//app@sha256:{D}": "grammar",
    f"registry.example/app@{D}": "malformed digest",
    f"https://registry.example/app@sha256:{D}": "grammar",
    f" registry.example/app@sha256:{D}": "grammar",
    D: "hexadecimal image id",
    f"registry.example/{'a' * 256}@sha256:{D}": "longer than 255",
    "[fc00::1]:5000": "grammar",
}
VALID_PINNED = [
    f"registry.example/app@sha256:{D}",
    f"registry.example/app:1.4.2@sha256:{D}",
    f"localhost:5000/team/app:v1@sha256:{D}",
    f"[2001:db8::1]:5000/repo:tag@sha256:{D}",
    f"Docker/docker:1@sha256:{D}",  # an upper-case first component is a host name
    f"busybox@sha256:{D}",
]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    folder = tmp_path_factory.mktemp("refs")
    refs = list(INVALID) + VALID_PINNED
    for i, ref in enumerate(refs):
        (folder / f"p{i:02d}.yaml").write_text(POD.format(i=i, image=json.dumps(ref)), "utf-8")
    return refs, scan_json(str(folder))[1]


def _by_ref(refs: list[str], report: dict, check: str) -> dict[str, str]:
    """The failure message of each reference that failed the check."""
    return {refs[int(Path(f["file"]).stem[1:])]: f["message"] for f in failures_of(report, check)}


@pytest.mark.parametrize("check", ["DXG-K8S-PIN-001", "DXG-K8S-PIN-002"])
def test_an_unpullable_reference_is_reported_invalid_never_pinned(report, check):
    refs, result = report
    failed = _by_ref(refs, result, check)
    for ref, reason in INVALID.items():
        assert ref in failed, f"{check} passed the invalid reference {ref!r}"
        assert "not a valid image reference" in failed[ref] and reason in failed[ref], failed[ref]
        assert len(failed[ref]) < 1200


def test_valid_pinned_references_pass_both_checks(report):
    refs, result = report
    for check in ("DXG-K8S-PIN-001", "DXG-K8S-PIN-002"):
        failed = _by_ref(refs, result, check)
        assert [ref for ref in VALID_PINNED if ref in failed] == [], check
        assert len(results_of(result, check)) == len(INVALID) + len(VALID_PINNED)
