"""Manifests are read as kubectl reads them: the sigs.k8s.io/yaml conformance table.

`tests/data/k8s_yaml_conformance.json` lists YAML texts, the JSON that sigs.k8s.io/yaml v1.6.0
(go-yaml v2 underneath, what kubectl and the API server use) makes of each, and the source line
each value comes from (go-yaml v2 resolve.go / decode.go / decode_test.go, sigs.k8s.io/yaml
yaml.go / yaml_test.go). Every row is checked three ways: against the real library (built from
tools/k8syaml), and on both of dxguard's YAML paths — the yaml-rs fast path and libyaml — so the
table, the library and dxguard cannot drift apart. Rows with `dxguard_error` are values
Kubernetes would carry as a float or a string but dxguard refuses (issue 17, point 8).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from checker.errors import InputError
from checker.loaders.yamldocs import parse_documents

from conftest import kubernetes_yaml_to_json

TABLE = json.loads(
    (Path(__file__).parent / "data" / "k8s_yaml_conformance.json").read_text(encoding="utf-8")
)
PATHS = pytest.mark.parametrize("fast", [True, False], ids=["yaml-rs", "libyaml"])


def _row_id(row: dict) -> str:
    text = row["yaml"].strip().replace("\n", "⏎")
    return text if len(text) <= 40 else f"{text[:40]}…"


def same(a, b, *, strict: bool) -> bool:
    """Equal values. Booleans never equal numbers; `strict` also tells int from float."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if not strict:  # JSON carries a float64 with integral value as digits: compare as floats
            return float(a) == float(b) if float in (type(a), type(b)) else a == b
        return type(a) is type(b) and a == b and math.copysign(1, a) == math.copysign(1, b)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k], strict=strict) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(
            same(x, y, strict=strict) for x, y in zip(a, b, strict=True)
        )
    return type(a) is type(b) and a == b


def read(text: str, *, fast: bool, unique_keys: bool = False):
    (doc,) = parse_documents(text, "t.yaml", fast=fast, unique_keys=unique_keys)
    return doc.value


def test_the_table_is_what_sigs_k8s_io_yaml_does():
    answers = kubernetes_yaml_to_json([row["yaml"] for row in TABLE])
    wrong = []
    for row, answer in zip(TABLE, answers, strict=True):
        if "kubernetes_error" in row:
            if row["kubernetes_error"] not in answer.get("error", ""):
                wrong.append((row["yaml"], answer))
        elif row["kubernetes"] != "either" and (
            "error" in answer or not same(row["kubernetes"], answer["json"], strict=False)
        ):
            wrong.append((row["yaml"], answer))
    assert wrong == []
    assert len(TABLE) > 150 and all(row["source"] for row in TABLE)


@PATHS
@pytest.mark.parametrize("row", TABLE, ids=_row_id)
def test_each_value_is_read_as_kubernetes_reads_it(row, fast):
    refused = row.get("dxguard_error") or row.get("kubernetes_error")
    if refused:
        with pytest.raises(InputError) as err:
            read(row["yaml"], fast=fast)
        assert refused in str(err.value)
        assert "t.yaml:" in str(err.value)  # the file and line of the value
        assert len(str(err.value)) < 400  # a short excerpt, never the whole value
        return
    assert same(read(row["yaml"], fast=fast), row["kubernetes"], strict=True)


@PATHS
@pytest.mark.parametrize("row", [r for r in TABLE if "unique_keys_error" in r], ids=_row_id)
def test_a_duplicate_key_keeps_the_later_value_and_is_refused_in_dxguards_own_files(row, fast):
    assert read(row["yaml"], fast=fast) == row["kubernetes"]  # kubectl apply: the later value
    with pytest.raises(InputError, match=row["unique_keys_error"]):
        read(row["yaml"], fast=fast, unique_keys=True)


def test_merge_keys_and_redefined_anchors_follow_go_yaml_v2_on_both_paths():
    text = (
        "base: &b {privileged: false, user: 1000}\n"
        "first: &x {a: 1}\n"
        "later:\n  <<: *b\n  privileged: y\n"  # an explicit key after the merge wins
        "earlier:\n  privileged: y\n  <<: *b\n"  # a merge after an explicit key wins (go-yaml v2)
        "again: &x {a: 2}\n"
        "uses: *x\n"  # the latest definition of an anchor (decode_test.go L704-710)
    )
    for fast in (True, False):
        value = read(text, fast=fast)
        assert value["later"] == {"privileged": True, "user": 1000}
        assert value["earlier"] == {"privileged": False, "user": 1000}
        assert value["uses"] == {"a": 2}
    (answer,) = kubernetes_yaml_to_json([text])
    assert same(answer["json"], read(text, fast=False), strict=False)


# -- property: any plain scalar, as a value or as a key, reads as sigs.k8s.io/yaml reads it ------

_PIECES = st.sampled_from(
    ["0", "1", "7", "8", "9", "12", "_", ".", "e", "E", "+", "-", "x", "X", "o", "O", "b", "B"]
    + ["a", "f", "F", "inf", "Inf", "iNF", "nan", "NaN", "nAn", ":", "~", "y", "Y", "n", "N"]
    + ["yes", "No", "on", "OFF", "true", "False", "null", "NULL", "00", "0x", "0o", "0b"]
    + ["1_000", "2026-", "12-31"]
)
NUMBERISH = r"[-+]?(0[xXoObB])?[0-9a-fA-F_]{1,24}(\.[0-9_]*)?([eE][-+]?[0-9]{1,3})?"
SCALARS = st.one_of(
    st.lists(_PIECES, min_size=1, max_size=6).map("".join),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.floats(allow_nan=False).map(repr),
    st.from_regex(NUMBERISH, fullmatch=True),
)
_REFUSED = ("does not fit in 64 bits", "overflows to infinity", "NaN or infinity")


def _check_against_kubernetes(texts: list[str]) -> None:
    answers = kubernetes_yaml_to_json(texts)
    for text, answer in zip(texts, answers, strict=True):
        got = {}
        for fast in (True, False):
            try:
                got[fast] = ("ok", read(text, fast=fast))
            except InputError as err:
                got[fast] = ("error", str(err))
        # Both paths agree exactly (types included), or both refuse.
        assert got[True][0] == got[False][0], (text, got)
        if got[True][0] == "ok":
            assert same(got[True][1], got[False][1], strict=True), (text, got)
        if "error" in answer:
            assert got[False][0] == "error", (text, answer, got)
        elif got[False][0] == "error":  # refused on purpose: a number no manifest means
            assert any(reason in got[False][1] for reason in _REFUSED), (text, answer, got)
        else:
            assert same(got[False][1], answer["json"], strict=False), (text, answer, got)


@given(st.lists(SCALARS, min_size=1, max_size=20))
def test_any_plain_scalar_reads_as_sigs_k8s_io_yaml_reads_it(tokens):
    texts = []
    for token in tokens:
        if token.startswith(("-", "?", ":")) and (len(token) == 1 or token[1] in " "):
            continue  # an indicator, not a scalar
        texts.append(f"v: {token}\n")
        if ":" not in token:  # `[0:, x]`: go-yaml reads a string where libyaml sees bad syntax
            texts.append(f"{token}: v\n")
            texts.append(f"list: [{token}, x]\n")
    if texts:
        _check_against_kubernetes(texts)
