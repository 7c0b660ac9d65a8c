"""Property-based tests of every loader: any input ends in a result or a clear input error.

Hypothesis mutates a real example of each input kind — Kubernetes YAML and JSON, `kind: List`,
workloads inside custom resources (an Argo Rollout, a Ray cluster, a Kubeflow PyTorchJob),
stdin, KubeVirt, Terraform plan JSON, Packer HCL and JSON, cloud-init, and the image evidence
formats (Trivy, Grype, CycloneDX, SPDX, cosign, Sigstore bundle, in-toto, OCI manifest, skopeo
and docker inspect) — by replacing parts of its structure with hostile values (wrong types,
huge or special numbers, YAML 1.1 spellings, deep nesting, long strings) and by editing its text
(cut, inserted characters and YAML syntax, invalid UTF-8). The properties:

- loading never raises anything but a DxguardError (an input error with its message, from the
  loader that read the input: not the net under the loaders), never hangs (an alarm fails the
  example) and never yields a resource the engine could not carry;
- `dxguard scan` on such inputs, on the real OPA, ends with exit 0, 1 or 2, with a one-line
  `dxguard:` message on exit 2 and never a traceback.

The examples are derandomized (the same on every machine) within a fixed budget per test
(tests/conftest.py registers the profile; HYPOTHESIS_PROFILE=explore searches at random, and
DXGUARD_PROPERTY_EXAMPLES=N runs N times as many examples).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checker.errors import DxguardError
from checker.loaders import load
from checker.loaders.limits import json_problem

from conftest import FIXTURES, dxguard

K8S = FIXTURES / "k8s"
VM = FIXTURES / "vm"
IMG = FIXTURES / "images"

# Examples per test: fixed for `make test`; DXGUARD_PROPERTY_EXAMPLES raises it to search further.
SCALE = int(os.environ.get("DXGUARD_PROPERTY_EXAMPLES", "1"))

# kind → (seed file, name the mutated file gets: its suffix decides YAML, JSON or a text format)
SEEDS: dict[str, tuple[Path, str]] = {
    "kubernetes-yaml": (K8S / "compliant" / "wsi-inference-deployment.yaml", "deploy.yaml"),
    "kubernetes-json": (K8S / "compliant" / "wsi-inference-deployment.yaml", "deploy.json"),
    "kind-list": (K8S / "noncompliant" / "inference-list.yaml", "list.yaml"),
    "custom-resources": (FIXTURES / "workloads" / "clinical-custom-resources.yaml", "crs.yaml"),
    "stdin": (K8S / "compliant" / "slide-viewer-deployment.yaml", "-"),
    "kubevirt": (VM / "compliant" / "kubevirt-clinical-vm.yaml", "vm.yaml"),
    "terraform-plan": (VM / "compliant" / "terraform-clinical-aws.plan.json", "plan.json"),
    "packer-hcl": (VM / "compliant" / "packer-hcl" / "clinical-rocky9.pkr.hcl", "t.pkr.hcl"),
    "packer-json": (VM / "compliant" / "packer-json" / "clinical-rocky9.pkr.json", "t.pkr.json"),
    "cloud-init": (VM / "noncompliant" / "cloud-init" / "viewer-user-data.yaml", "user-data.yaml"),
    "trivy": (IMG / "compliant" / "model-verifier" / "trivy.json", "trivy.json"),
    "grype": (IMG / "compliant" / "dicom-router" / "grype.json", "grype.json"),
    "cyclonedx": (IMG / "compliant" / "model-verifier" / "sbom.cdx.json", "sbom.cdx.json"),
    "spdx": (IMG / "compliant" / "dicom-router" / "sbom.spdx.json", "sbom.spdx.json"),
    "cosign": (IMG / "compliant" / "model-verifier" / "cosign-verify.json", "cosign.json"),
    "sigstore-bundle": (IMG / "compliant" / "bam-indexer" / "attestation.sigstore.json", "b.json"),
    "in-toto": (IMG / "compliant" / "model-verifier" / "provenance.intoto.json", "p.intoto.json"),
    "in-toto-jsonl": (IMG / "compliant" / "dicom-router" / "provenance.intoto.jsonl", "p.jsonl"),
    "oci-manifest": (IMG / "compliant" / "variant-caller" / "manifest.oci.json", "m.oci.json"),
    "skopeo-inspect": (IMG / "compliant" / "bam-indexer" / "skopeo-inspect.json", "skopeo.json"),
    "docker-inspect": (IMG / "compliant" / "variant-caller" / "docker-inspect.json", "docker.json"),
}

# Values a careless or hostile author puts where the example has something sensible.
NASTY_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
    st.sampled_from(
        ["", "Y", "n", "off", "0x10", "0o17", "1e3", "08", "~", "<<", "*", "&a", "!!binary", "-",
         "sha256:" + "a" * 64, "nginx@sha256:" + "a" * 63, "2026-13-45", "9" * 400, "1e400",
         "NaN", ".inf", "\x00", "\ufeff", "é" * 50, "x" * 5000, "${var.x}", "{{ .Values }}"]
    ),
)  # fmt: skip
NASTY = st.recursive(
    NASTY_SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
SNIPPETS = st.sampled_from(
    ["\n", "\t", ": ", "- ", "? ", "&a ", "*a", "*b ", "<<: *a\n", "!!binary ", "!Ref ", "---\n",
     "...\n", "%YAML 1.1\n", "#", "'", '"', "[", "]", "{", "}", ",", "\\", "\x00", "\ufeff",
     "y", "0x", "1e999", "9" * 30, "- " * 600 + "x\n", "[" * 300, "\u2028", "\r\n"]
)  # fmt: skip


def _deep(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = [value]
    return value


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            out.extend(_paths(child, (*prefix, key)))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            out.extend(_paths(child, (*prefix, i)))
    return out


def _at(value: Any, path: tuple) -> Any:
    for key in path:
        value = value[key]
    return value


def _replace(value: Any, path: tuple, new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: _replace(value[head], rest, new)}
    copy = list(value)
    copy[head] = _replace(copy[head], rest, new)
    return copy


def _seed_documents(kind: str) -> list[Any]:
    seed, _ = SEEDS[kind]
    text = seed.read_text(encoding="utf-8")
    if seed.suffix == ".jsonl":
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    if seed.suffix == ".json":
        return [json.loads(text)]
    if seed.suffix == ".hcl":
        return []
    return [d for d in yaml.safe_load_all(text) if d is not None]


def _serialize(kind: str, docs: list[Any]) -> str:
    _, name = SEEDS[kind]
    if name.endswith(".jsonl"):
        return "".join(json.dumps(d, default=str) + "\n" for d in docs)
    if name.endswith(".json"):
        return json.dumps(docs[0], default=str)
    header = "#cloud-config\n" if kind == "cloud-init" else ""
    return header + yaml.safe_dump_all(docs, allow_unicode=True, sort_keys=False)


@st.composite
def mutated_inputs(draw, kind: str) -> bytes:
    """A seed of the kind with its structure and then its text mutated."""
    seed, _ = SEEDS[kind]
    docs = _seed_documents(kind)
    if docs and draw(st.booleans()):
        for _ in range(draw(st.integers(1, 3))):
            i = draw(st.integers(0, len(docs) - 1))
            path = draw(st.sampled_from(_paths(docs[i])))
            old = _at(docs[i], path)
            new = draw(
                st.one_of(
                    NASTY,
                    st.just(_deep(draw(st.integers(150, 260)))),
                    st.sampled_from([[old], {"k": old}, str(old), None]),  # the wrong shape
                )
            )
            docs[i] = _replace(docs[i], path, new)
        text = _serialize(kind, docs)
    else:
        text = seed.read_text(encoding="utf-8")
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(text)))
        edit = draw(st.sampled_from(["insert", "delete", "cut"]))
        if edit == "insert":
            text = text[:at] + draw(st.one_of(SNIPPETS, st.text(max_size=5))) + text[at:]
        elif edit == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 20)) :]
        else:
            text = text[:at]
    data = text.encode("utf-8", errors="surrogatepass")
    if draw(st.integers(0, 9)) == 0:  # now and then, bytes that are not UTF-8
        at = draw(st.integers(0, len(data)))
        data = data[:at] + b"\xff\xfe" + data[at:]
    return data


class Hang(Exception):
    pass


@contextlib.contextmanager
def no_hang(seconds: float) -> Iterator[None]:
    """Fail the example if it takes longer than `seconds` (a hang, not a slow machine)."""

    def alarm(_signum: int, _frame: Any) -> None:
        raise Hang(f"loading took more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _load(tmp: Path, kind: str, data: bytes):
    _, name = SEEDS[kind]
    if name == "-":
        import io

        return load(["-"], stdin=io.StringIO(data.decode("utf-8", errors="replace")))
    folder = tmp / kind
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)
    return load([str(folder)])


def _carriable(value: Any) -> bool:
    """A document the engine receives: JSON within limits.py's bounds, no NaN or infinity."""
    if json_problem(value) is not None:
        return False
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, float) and not math.isfinite(node):
            return False
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return True


@pytest.mark.parametrize("kind", list(SEEDS))
@settings(max_examples=40 * SCALE, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_every_loader_ends_in_resources_or_a_clear_input_error(tmp_path_factory, kind, data):
    raw = data.draw(mutated_inputs(kind))
    tmp = tmp_path_factory.mktemp("prop")
    try:
        with no_hang(20):
            result = _load(tmp, kind, raw)
    except DxguardError as err:
        message = str(err)
        assert message and "Traceback" not in message
        assert len(err.message) < 1000, err.message[:300]  # an excerpt, never a whole value
        # The loaders say what is wrong; the net under them (a shape nobody foresaw) stays unused.
        assert "shape dxguard cannot read" not in message, message
        return
    for res in result.resources:
        assert _carriable(res.object) and _carriable(res.normalized), res.id
        orjson.dumps({"input": {"resources": [res.to_input()]}})  # as the engine sends it


# -- end to end: the real command on the real OPA ------------------------------------------------


@settings(max_examples=24 * SCALE, suppress_health_check=list(HealthCheck))
@given(kind=st.sampled_from(list(SEEDS)), data=st.data())
def test_dxguard_scan_on_any_mutated_input_exits_0_1_or_2_without_a_traceback(
    tmp_path_factory, kind, data
):
    raw = data.draw(mutated_inputs(kind))
    tmp = tmp_path_factory.mktemp("cli")
    _, name = SEEDS[kind]
    if name == "-":
        run = dxguard("scan", "-q", "-", stdin=raw.decode("utf-8", errors="replace"), timeout=120)
    else:
        (tmp / name).write_bytes(raw)
        run = dxguard("scan", "-q", str(tmp), timeout=120)
    assert run.code in (0, 1, 2), (kind, run.code, run.stderr[-600:])
    assert "Traceback" not in run.stderr, run.stderr[-2000:]
    if run.code == 2:
        assert run.stderr.startswith("dxguard: "), run.stderr[-600:]
        assert "engine error" not in run.stderr, run.stderr[-600:]
        assert len(run.stderr) < 2000
