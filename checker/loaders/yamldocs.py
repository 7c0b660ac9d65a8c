"""Parse YAML (and JSON, which YAML reads too) into documents that keep their line numbers.

This module only turns text into Python values plus positions; it knows nothing of Kubernetes.
It guards against hostile input: alias bombs (anchors that expand exponentially) and recursive
anchors fail with an InputError naming file and line; libyaml itself refuses nesting deeper
than it can handle. The alias walk runs only on text that has an alias, so plain manifests
pay nothing for it.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from checker.errors import InputError

_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlLoader(_Base):  # type: ignore[misc, valid-type]
    """libyaml's safe loader, constructing values the way Kubernetes reads manifests.

    Kubernetes converts YAML to JSON: an unquoted date stays a string (never a date object), a
    `!!binary` value stays its base64 text, and NaN or infinity cannot be carried at all — such
    a value is an input error at its line rather than a crash when the input is serialised.
    """

    yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in _Base.yaml_implicit_resolvers.items()
    }


def _as_text(loader: yaml.SafeLoader, node: yaml.Node) -> str:
    return loader.construct_scalar(node)


def _as_mapping_of_null(loader: yaml.SafeLoader, node: yaml.Node) -> dict[Any, None]:
    return {loader.construct_object(k): None for k, _ in node.value}


def _finite_float(loader: yaml.SafeLoader, node: yaml.Node) -> float:
    value = loader.construct_yaml_float(node)
    if value != value or value in (float("inf"), float("-inf")):
        raise yaml.constructor.ConstructorError(
            None,
            None,
            f"{node.value!r} (NaN or infinity) cannot be represented in JSON",
            node.start_mark,
        )
    return value


YamlLoader.add_constructor("tag:yaml.org,2002:timestamp", _as_text)
YamlLoader.add_constructor("tag:yaml.org,2002:binary", _as_text)
YamlLoader.add_constructor("tag:yaml.org,2002:set", _as_mapping_of_null)
YamlLoader.add_constructor("tag:yaml.org,2002:float", _finite_float)

# A document may expand (through aliases) to at most this many nodes. Real manifests stay far below.
MAX_EXPANDED_NODES = 2_000_000
MAX_DEPTH = 200
# Something that may be an alias (`*name` where a node can start); a `*` inside a quoted cron
# schedule ('15 2 * * *') is not. False positives only cost the (correct) alias walk.
_ALIAS = re.compile(r"(?:^|[\s\[{,:])\*[^\s,\[\]{}'\"*]")

# -- the fast path ------------------------------------------------------------------------------
# yaml-rs (a YAML 1.2 parser in Rust) reads plain manifests an order of magnitude faster than
# libyaml plus Python construction. It is used only where it gives exactly the values the loader
# above gives: text without anchors, aliases, tags, merge keys, directives or document-end
# markers, and without any plain scalar that YAML 1.1 types differently from YAML 1.2 (yes/no/
# on/off, leading-zero or 0b/0o numbers, underscores, sexagesimal, exponents, NaN/infinity).
# Anything else — and any disagreement on the number of documents — takes the libyaml path.
_PLAIN_1_1 = (
    r"(?:[yY]es|YES|[nN]o|NO|[oO]n|ON|[oO]ff|OFF"
    r"|[-+]?0[0-9a-zA-Z_:]\S*"
    r"|[-+]?[0-9][0-9_]*_[0-9_.]*"
    r"|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?"
    r"|[-+]?[0-9_.]*[0-9][eE][-+]?[0-9]+"
    r"|[-+]?\.(?:nan|NaN|NAN|inf|Inf|INF)|[-+]\.[0-9]|=)"
)
_END = r"[ \t]*(?:#[^\n]*)?(?:\n|$|[,\]}]|:[ \t\n])"
# A plain value (after `key: `, `- `, `? ` or inside a flow collection) with a YAML 1.1 meaning.
_VALUE_1_1 = re.compile(r"(?:[:\-?] |[\[{,] ?)" + _PLAIN_1_1 + _END)
# An anchor, alias or tag where a node starts (a `*` in a quoted cron schedule is not one).
_PROPERTIES = re.compile(r"(?:^|[\s\[{,:])[&*!][^\s\"']", re.M)
_LITERALS = ("<<", "\t", "\n%", "\n...", "%YAML", "%TAG")
_KEY_WORDS = ("yes:", "no:", "on:", "off:")
_KEY_BEFORE = frozenset(" \t\n-{,?")


def _needs_libyaml(text: str) -> bool:
    """True when yaml-rs might read the text differently from the libyaml loader above.

    Cheap tests first (substring searches run at C speed over megabytes); the regular
    expressions only where their trigger characters occur. False positives only cost speed.
    """
    if text.startswith(("%", "...")) or any(lit in text for lit in _LITERALS):
        return True
    if ("&" in text or "*" in text or "!" in text) and _PROPERTIES.search(text):
        return True
    if _VALUE_1_1.search(text):
        return True
    lower = text.lower()
    for word in _KEY_WORDS:  # a YAML 1.1 boolean as a block key (`on:`), not `version:`
        at = lower.find(word)
        while at != -1:
            if at == 0 or lower[at - 1] in _KEY_BEFORE:
                return True
            at = lower.find(word, at + 1)
    return False


_DOC_MARKER = re.compile(r"^---(?:[ \t]|$)", re.M)
_MAX_FAST_BYTES = 8 * 1024 * 1024

try:  # the fast path is optional: without yaml-rs every document takes the libyaml path
    import yaml_rs
except ImportError:  # pragma: no cover - yaml-rs is a declared dependency
    yaml_rs = None


class _Stream:
    """The text of one YAML stream, composed into nodes only if someone asks for a node."""

    def __init__(self, text: str):
        self.text = text
        self._nodes: list[yaml.Node | None] | None = None

    def node(self, index: int) -> yaml.Node | None:
        if self._nodes is None:
            self._nodes = []
            loader = YamlLoader(self.text)
            try:
                while loader.check_node():
                    self._nodes.append(loader.get_node())
            except yaml.YAMLError:
                pass
            finally:
                loader.dispose()
        return self._nodes[index] if index < len(self._nodes) else None


class Document:
    """One document of a stream: its index, the 1-based line its content starts on, its value
    and (composed on first use, for line numbers of fields) its YAML node."""

    __slots__ = ("index", "line", "value", "_node", "_stream")

    def __init__(
        self,
        index: int,
        line: int,
        value: Any,
        node: yaml.Node | None = None,
        stream: _Stream | None = None,
    ):
        self.index = index
        self.line = line
        self.value = value
        self._node = node
        self._stream = stream

    @property
    def node(self) -> yaml.Node | None:
        if self._node is None and self._stream is not None:
            self._node = self._stream.node(self.index)
        return self._node


def _fast_documents(text: str) -> list[Document] | None:
    """The documents via yaml-rs, or None when the text needs the libyaml path."""
    if yaml_rs is None or len(text) > _MAX_FAST_BYTES or _needs_libyaml(text):
        return None
    lines = text.splitlines()
    marker_lines = []  # 0-based line of each `---`, counted incrementally
    line, last = 0, 0
    for m in _DOC_MARKER.finditer(text):
        line += text.count("\n", last, m.start())
        last = m.start()
        marker_lines.append(line)
    starts: list[int] = []
    first = marker_lines[0] if marker_lines else len(lines)
    if _first_content(lines, 0, first) is not None:
        starts.append(_first_content(lines, 0, first))
    for i, at in enumerate(marker_lines):
        end = marker_lines[i + 1] if i + 1 < len(marker_lines) else len(lines)
        rest = lines[at][3:].strip()
        if rest and not rest.startswith("#"):
            starts.append(at)
        else:
            content = _first_content(lines, at + 1, end)
            # An empty document starts where libyaml places it: at the next token (the next
            # `---`, or the end of the stream).
            starts.append(content if content is not None else end)
    try:
        loaded = yaml_rs.loads(text, parse_datetime=False)
    except Exception:  # noqa: BLE001 - any disagreement goes to libyaml, which explains errors
        return None
    if len(starts) == 0:
        values: list[Any] = []
        if loaded is not None:
            return None
    elif len(starts) == 1:
        values = [loaded]
    else:
        if not isinstance(loaded, list) or len(loaded) != len(starts):
            return None
        values = loaded
    stream = _Stream(text)
    return [Document(i, starts[i] + 1, v, None, stream) for i, v in enumerate(values)]


def _first_content(lines: list[str], begin: int, end: int) -> int | None:
    for i in range(begin, end):
        stripped = lines[i].strip()
        if stripped and not stripped.startswith("#"):
            return i
    return None


def _mark(err: yaml.MarkedYAMLError) -> tuple[int | None, int | None]:
    mark = err.problem_mark or err.context_mark
    if mark is None:
        return None, None
    return mark.line + 1, mark.column + 1


def _check_node(node: yaml.Node, filename: str) -> None:
    """Reject alias bombs, recursive anchors and excessive nesting before constructing values."""
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(n: yaml.Node, depth: int) -> int:
        key = id(n)
        if key in sizes:
            return sizes[key]
        if key in active:
            raise InputError(
                f"{filename}:{n.start_mark.line + 1}: a YAML anchor refers to itself "
                "(recursive alias); remove the recursive reference"
            )
        if depth > MAX_DEPTH:
            raise InputError(
                f"{filename}:{n.start_mark.line + 1}: YAML nesting deeper than {MAX_DEPTH} "
                "levels; this is not a manifest dxguard can examine"
            )
        active.add(key)
        total = 1
        if isinstance(n, yaml.SequenceNode):
            for child in n.value:
                total += size(child, depth + 1)
        elif isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                total += size(k, depth + 1) + size(v, depth + 1)
        active.discard(key)
        sizes[key] = total
        if total > MAX_EXPANDED_NODES:
            raise InputError(
                f"{filename}:{n.start_mark.line + 1}: YAML aliases expand this document to "
                f"more than {MAX_EXPANDED_NODES:,} nodes (an alias bomb?); "
                "write the document out without anchors and aliases"
            )
        return total

    size(node, 0)


def parse_documents(text: str, filename: str, *, fast: bool = True) -> list[Document]:
    """All documents of a YAML stream, with the line each starts on. Empty documents included.

    Plain manifests take the yaml-rs fast path (see above); everything else, and every error
    message, comes from libyaml.
    """
    if fast:
        docs = _fast_documents(text)
        if docs is not None:
            return docs
    loader = YamlLoader(text)
    docs: list[Document] = []
    has_alias = _ALIAS.search(text) is not None
    try:
        index = 0
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                docs.append(Document(index, 1, None, None))
            else:
                if has_alias:
                    _check_node(node, filename)
                value = loader.construct_document(node)
                docs.append(Document(index, node.start_mark.line + 1, value, node))
            index += 1
    except yaml.MarkedYAMLError as err:
        line, col = _mark(err)
        where = f"{filename}:{line}:{col}" if line else filename
        problem = err.problem or err.context or "invalid YAML"
        raise InputError(
            f"{where}: malformed YAML: {problem}",
            hint="fix the YAML syntax at that line (indentation, a missing ':' or quote, tabs)",
        ) from None
    except yaml.YAMLError as err:  # errors without a position (e.g. reader errors)
        raise InputError(f"{filename}: malformed YAML: {err}") from None
    except RecursionError:
        raise InputError(
            f"{filename}: YAML nesting too deep to parse; not a manifest dxguard can examine"
        ) from None
    finally:
        loader.dispose()
    return docs
