"""What a format module hands to the image-record finalizer, and the helpers every format shares.

A Contribution is what one document says about one image: the manifest digest(s) it names (or
only the config digest, the "image ID", when that is all it knows), and the parts of the record
it supplies (a scan, vulnerabilities, an SBOM, signatures, provenance, configuration, manifest
annotations). Contributions wait in LoadResult.extras until every file is loaded; record.py
merges them. This module also gives the formats one way to report malformed input: an
InputError naming the file, the line of the offending field and what to fix.
What it must not do: decide anything about compliance, or guess a digest a document does not name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import yaml

from checker.errors import InputError
from checker.loaders.locate import line_of_path
from checker.loaders.yamldocs import Document, YamlLoader
from checker.model import LoadResult, Skipped

EXTRAS_KEY = "images"
DIGEST_RE = re.compile(r"^sha256:[a-f0-9]{64}$")
_FRACTION = re.compile(r"(\.\d+)")

SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "NEGLIGIBLE", "UNKNOWN")


@dataclass
class Contribution:
    """One document's evidence about one image, with where it came from."""

    file: str
    document: int
    line: int
    format: str  # trivy | grype | cyclonedx | spdx | cosign | sigstore-bundle | in-toto | ...
    kind: str  # scan | sbom | signature | provenance | config | manifest
    digests: tuple[str, ...] = ()  # manifest digests (what image references pin)
    config_digest: str | None = None  # the image config digest ("image ID"), where known
    repositories: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    # Parts of the record, each optional: scan, vulnerabilities, os, config, annotations,
    # sbom, signatures, provenance (see schemas/image-record.schema.json).
    data: dict[str, Any] = field(default_factory=dict)


def contributions(result: LoadResult) -> list[Contribution]:
    """The contributions collected so far in this load (cross-file state for the finalizer)."""
    return result.extras.setdefault(EXTRAS_KEY, [])


def skip(result: LoadResult, where: Where, reason: str) -> list:
    """Note a recognised document that cannot be used, and claim it (so nobody else reads it)."""
    result.skipped.append(Skipped(where.file, reason, where.document, where.line))
    return []


class Where:
    """A document's position, to point malformed-input errors at the field's line."""

    def __init__(self, file: str, doc: Document, text: str):
        self.file = file
        self.document = doc.index
        self.line = doc.line
        self._node = doc.node
        # Without a YAML node (JSON and JSON Lines), `text` is the document's own text, which
        # starts on doc.line; it is composed only when an error needs a field's line.
        self._text = text
        self._offset = doc.line - 1

    def line_of(self, path: list[str | int]) -> int:
        node = self._node
        offset = 0
        if node is None:
            offset = self._offset
            try:
                loader = YamlLoader(self._text)
                try:
                    node = loader.get_single_node()
                finally:
                    loader.dispose()
            except yaml.YAMLError:
                node = None
        line = line_of_path(node, path) if node is not None else None
        return (line + offset) if line is not None else self.line

    def error(self, fmt: str, path: list[str | int], problem: str, hint: str) -> InputError:
        dotted = dotted_path(path) or "(top level)"
        return InputError(
            f"{self.file}:{self.line_of(path)}: {fmt}: {dotted} {problem}",
            hint=hint,
        )


def dotted_path(path: list[str | int]) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


class Reader:
    """Typed access to a parsed document: a wrong type is an InputError at the field's line."""

    def __init__(self, where: Where, fmt: str, hint: str, anchor: list[str | int] | None = None):
        self.where = where
        self.fmt = fmt
        self.hint = hint
        # For a document embedded in a field (a DSSE payload): errors point at that field's
        # line and name the path inside the decoded document.
        self.anchor = anchor

    def fail(self, path: list[str | int], problem: str) -> InputError:
        if self.anchor is not None:
            inner = dotted_path(path) or "(top level)"
            return InputError(
                f"{self.where.file}:{self.where.line_of(self.anchor)}: {self.fmt}: "
                f"{dotted_path(self.anchor)} (decoded) {inner} {problem}",
                hint=self.hint,
            )
        return self.where.error(self.fmt, path, problem, self.hint)

    def inner(self, fmt: str, anchor: list[str | int]) -> Reader:
        """A reader for a document decoded from the field at `anchor`."""
        return Reader(self.where, fmt, self.hint, anchor)

    def get(self, obj: Any, path: list[str | int], key: str | int, kind: type | tuple, **kw):
        """obj[key] checked against kind; missing or null gives kw['default'] or an error."""
        value = None
        if isinstance(obj, dict):
            value = obj.get(key)
        elif isinstance(obj, list) and isinstance(key, int) and 0 <= key < len(obj):
            value = obj[key]
        if value is None:
            if "default" in kw:
                return kw["default"]
            raise self.fail([*path, key], "is missing")
        if isinstance(value, bool) and kind in (int, float):
            raise self.fail([*path, key], f"must be {_kind_name(kind)}, not a boolean")
        if not isinstance(value, kind):
            raise self.fail([*path, key], f"must be {_kind_name(kind)}, not {_json_type(value)}")
        return value

    def string_map(self, obj: Any, path: list[str | int], key: str) -> dict[str, str]:
        """A label/annotation map: string keys to string values (null counts as empty)."""
        value = self.get(obj, path, key, dict, default={})
        for k, v in value.items():
            if not isinstance(v, str):
                raise self.fail([*path, key, k], f"must be a string, not {_json_type(v)}")
        return dict(value)

    def strings(self, obj: Any, path: list[str | int], key: str) -> list[str]:
        value = self.get(obj, path, key, list, default=[])
        for i, v in enumerate(value):
            if not isinstance(v, str):
                raise self.fail([*path, key, i], f"must be a string, not {_json_type(v)}")
        return list(value)

    def time(self, obj: Any, path: list[str | int], key: str) -> str | None:
        """An RFC 3339 / ISO 8601 time, normalised to UTC seconds; missing or "" gives None."""
        value = self.get(obj, path, key, str, default="")
        if value == "":
            return None
        parsed = parse_time(value)
        if parsed is None:
            raise self.fail([*path, key], f"is not an RFC 3339 time: {value!r}")
        return parsed


def _kind_name(kind: type | tuple) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {dict: "an object", list: "an array", str: "a string", int: "a number"}
    names |= {float: "a number", bool: "a boolean"}
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def _json_type(value: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}.get(
        type(value), "a number" if isinstance(value, int | float) else type(value).__name__
    )


def parse_time(value: str) -> str | None:
    """'2026-11-20T10:00:00.123456789-04:00' → '2026-11-20T14:00:00Z'; None when unparseable."""
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    text = _FRACTION.sub(lambda m: m.group(1)[:7], text, count=1)  # Go prints nanoseconds
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def unix_time(seconds: Any) -> str | None:
    """A Unix timestamp (as Rekor prints integratedTime) → RFC 3339 UTC, or None."""
    try:
        value = int(seconds)
    except (TypeError, ValueError):
        return None
    return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def split_reference(ref: str) -> tuple[str, str | None, str | None]:
    """'reg.example/a/b:1.2@sha256:…' → ('reg.example/a/b', '1.2', 'sha256:…')."""
    name, _, digest = ref.partition("@")
    tag = None
    last = name.rsplit("/", 1)[-1]
    if ":" in last:
        tag = last.split(":", 1)[1]
        name = name[: len(name) - len(tag) - 1]
    return name, tag, (digest or None)


def valid_digest(value: Any) -> str | None:
    """The value when it is a well-formed sha256 digest (lower-cased hex), else None."""
    if isinstance(value, str) and DIGEST_RE.match(value.lower()):
        return value.lower()
    return None


def severity(value: str) -> str:
    """Scanner severities (Trivy CRITICAL, Grype Critical/Negligible) in one upper-case scale."""
    upper = value.strip().upper()
    return upper if upper in SEVERITIES else "UNKNOWN"
