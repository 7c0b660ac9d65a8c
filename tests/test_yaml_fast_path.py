"""The yaml-rs fast path's gate (_needs_libyaml) decides exactly as its plain regular expressions.

checker/loaders/yamldocs.py writes its gate's patterns for speed (a first-character lookahead,
one character set first, the text's start tested apart). Here the plain forms they were written
from are the reference: on generated YAML-like text, and on every fixture, each fast pattern finds
a match exactly where the reference finds one, so the speed-up cannot send a document with a
YAML 1.1 meaning down the YAML 1.2 path.
"""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from checker.loaders import yamldocs as y

ROOT = Path(__file__).resolve().parent.parent

_P = y._PLAIN_1_1
REFERENCE = {
    "value": re.compile(r"(?:[:\-?] |[\[{,] ?)" + _P + y._END),
    "key": re.compile(r"^[ \t]*(?:-[ \t]+)*" + _P + r"[ \t]*:(?:[ \t\r\n]|$)", re.M),
    "properties": re.compile(r"(?:^|[\s\[{,:])[&*!][^\s\"']", re.M),
}


def fast(name: str, text: str) -> bool:
    if name == "value":
        return y._VALUE_1_1.search(text) is not None
    if name == "key":
        return y._KEY_1_1.search(text) is not None
    return y._PROPERTIES_AT_START.match(text) is not None or y._PROPERTIES.search(text) is not None


def reference(name: str, text: str) -> bool:
    return REFERENCE[name].search(text) is not None


# Pieces of YAML and of YAML 1.1 scalars, so that generated text often comes close to a match.
PIECES = [
    *"-+.:_=,[]{}?#&*!'\"\t \n\r\x0b\x85\xa0",
    *"0123456789abcdefxXoOeEyYnN",
    "yes", "No", "OFF", "on", "y", "n", ".5", "1_000", "012", "0o17", "0x1F", "1e3", "1:20",
    "1.5e-3", ".inf", "-.NaN", "+.5", "=", "<<", "- ", ": ", "  ", "key", "name", "image",
    "\n  ", "\n- ", "1234567890123456789", "---", "- - ",
]  # fmt: skip


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=24))
def test_each_fast_pattern_finds_a_match_exactly_where_its_plain_form_does(pieces):
    text = "".join(pieces)
    for name in REFERENCE:
        assert fast(name, text) == reference(name, text), (name, text)


def test_the_fast_patterns_agree_with_the_plain_forms_on_every_fixture():
    files = [p for p in (ROOT / "fixtures").rglob("*") if p.suffix in (".yaml", ".yml", ".json")]
    files += [p for p in (ROOT / "tests").rglob("*") if p.suffix in (".yaml", ".yml")]
    assert len(files) > 50
    found = dict.fromkeys(REFERENCE, 0)
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        for name in REFERENCE:
            expected = reference(name, text)
            assert fast(name, text) == expected, (name, path)
            found[name] += expected
    # Fixtures with YAML 1.1 values and with anchors take libyaml: the comparison saw both sides.
    assert found["value"] and found["properties"], found


def test_each_fast_pattern_matches_what_it_must():
    for name, text in [
        ("value", "a: yes\n"),
        ("value", "ports: [012, 3]"),
        ("value", "- 1e3\n"),
        ("key", "on: push\n"),
        ("key", "  - - 0o17:\n"),
        ("properties", "&anchor a: 1"),
        ("properties", "a: *ref"),
        ("properties", "x: !!str 1"),
    ]:
        assert fast(name, text) and reference(name, text), (name, text)
    for name, text in [
        ("value", "a: 'yes'\n"),
        ("key", "name: x\n"),
        ("properties", "cron: '15 2 * * *'"),
    ]:
        assert not fast(name, text) and not reference(name, text), (name, text)
