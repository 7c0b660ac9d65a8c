"""Parse YAML (and JSON, which YAML reads too) into documents that keep their line numbers.

This module only turns text into Python values plus positions; it knows nothing of Kubernetes
objects. Values are read as kubectl and the API server read them (sigs.k8s.io/yaml on go-yaml
v2, see scalars.py): YAML 1.1 scalars (`y`, `off`, `0o17`, `1e3`...), merge keys applied in
document order, non-string keys made strings, and a duplicated key keeping its later value as
kubectl does (`unique_keys=True` refuses duplicates instead, for dxguard's own files). It guards
against hostile input: alias bombs (anchors that expand to too many nodes or bytes) and recursive
anchors fail with an InputError naming file and line; libyaml refuses nesting deeper than 1,000
levels and limits.py anything deeper than the engine carries. The alias walk runs only on text
that has an alias, so plain manifests pay nothing for it.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from checker.errors import InputError
from checker.loaders import scalars
from checker.loaders.limits import MAX_DEPTH, check_document, json_problem

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
            f"{scalars.excerpt(node.value)} (NaN or infinity) cannot be represented in JSON",
            node.start_mark,
        )
    return value


YamlLoader.add_constructor("tag:yaml.org,2002:timestamp", _as_text)
YamlLoader.add_constructor("tag:yaml.org,2002:binary", _as_text)
YamlLoader.add_constructor("tag:yaml.org,2002:set", _as_mapping_of_null)
YamlLoader.add_constructor("tag:yaml.org,2002:float", _finite_float)

# The tag a plain scalar gets while composing; scalars.resolve() decides its value later.
_PLAIN = "tag:dxguard:plain"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"


class RefusedValue(yaml.constructor.ConstructorError):
    """A value Kubernetes would refuse or misread (not a syntax error): its own message."""


class _KubernetesConstructor(yaml.constructor.SafeConstructor):
    """Values as sigs.k8s.io/yaml constructs them (go-yaml v2 semantics), whichever parser.

    Tags on mappings and sequences are ignored, as go-yaml v2 ignores them; a scalar's explicit
    tag is resolved as go-yaml's resolve() does; unknown tags (`!Ref x`) leave the text.
    """

    yaml_constructors: dict = {}
    yaml_multi_constructors: dict = {}
    unique_keys = False

    def resolve(self, kind: type, value: Any, implicit: Any) -> str:
        if kind is yaml.ScalarNode:
            return _PLAIN if implicit[0] else scalars.STR
        return _SEQ if kind is yaml.SequenceNode else _MAP


try:  # libyaml's parser (PyYAML's C extension); the pure-Python parser otherwise
    from yaml.cyaml import CParser as _CParser
except ImportError:  # pragma: no cover - PyYAML is built with libyaml here
    _CParser = None


class KubernetesLoader(_CParser or yaml.Loader, _KubernetesConstructor, yaml.resolver.Resolver):  # type: ignore[misc]
    """libyaml's parser with the Kubernetes constructor above."""

    def __init__(self, stream: str):
        if _CParser is None:  # pragma: no cover - PyYAML is built with libyaml here
            yaml.Loader.__init__(self, stream)
        else:
            _CParser.__init__(self, stream)
        _KubernetesConstructor.__init__(self)
        yaml.resolver.Resolver.__init__(self)


class _RedefiningComposer(yaml.composer.Composer):
    """go-yaml v2 lets an anchor be defined again (decode_test.go L704-710: a later alias
    refers to the latest definition); libyaml's composer refuses that, this one does not."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if not isinstance(event, yaml.AliasEvent) and event.anchor is not None:
            self.anchors.pop(event.anchor, None)
        return super().compose_node(parent, index)


class _PythonKubernetesLoader(
    yaml.reader.Reader,
    yaml.scanner.Scanner,
    yaml.parser.Parser,
    _RedefiningComposer,
    _KubernetesConstructor,
    yaml.resolver.Resolver,
):
    """The pure-Python parser, for the rare stream that redefines an anchor."""

    def __init__(self, stream: str):
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)
        _RedefiningComposer.__init__(self)
        _KubernetesConstructor.__init__(self)
        yaml.resolver.Resolver.__init__(self)


def _refuse(node: yaml.Node, err: Exception) -> RefusedValue:
    return RefusedValue(None, None, str(err), node.start_mark)


def _plain(loader: _KubernetesConstructor, node: yaml.ScalarNode) -> Any:
    try:
        return scalars.plain_value(node.value)
    except scalars.ScalarError as err:
        raise _refuse(node, err) from None


def _any(loader: _KubernetesConstructor, node: yaml.Node) -> Any:
    """Any other tag: collections as if untagged, scalars by go-yaml's resolve(tag, text)."""
    if isinstance(node, yaml.MappingNode):
        return _mapping(loader, node)
    if isinstance(node, yaml.SequenceNode):
        return _sequence(loader, node)
    try:
        return scalars.tagged_value(node.tag, node.value)
    except scalars.ScalarError as err:
        raise _refuse(node, err) from None


def _sequence(loader: _KubernetesConstructor, node: yaml.SequenceNode) -> list[Any]:
    return [loader.construct_object(child, deep=True) for child in node.value]


def _is_merge(key: yaml.Node) -> bool:
    """go-yaml v2 isMerge: the text `<<`, plain or tagged !!merge (a quoted "<<" is a key)."""
    return (
        isinstance(key, yaml.ScalarNode)
        and key.value == "<<"
        and key.tag in (_PLAIN, scalars.MERGE)
    )


def _merged_pairs(value: yaml.Node) -> list[tuple[yaml.Node, yaml.Node]]:
    """go-yaml v2 decoder.merge: a mapping, or a sequence of mappings applied last to first."""
    if isinstance(value, yaml.MappingNode):
        return _pairs(value)
    if isinstance(value, yaml.SequenceNode):
        out: list[tuple[yaml.Node, yaml.Node]] = []
        for item in reversed(value.value):  # earlier maps take precedence: applied last
            if not isinstance(item, yaml.MappingNode):
                raise _refuse(item, ValueError(_MERGE_NEEDS_MAP))
            out.extend(_pairs(item))
        return out
    raise _refuse(value, ValueError(_MERGE_NEEDS_MAP))


_MERGE_NEEDS_MAP = "map merge (<<) requires a mapping or a sequence of mappings as the value"


def _pairs(node: yaml.MappingNode) -> list[tuple[yaml.Node, yaml.Node]]:
    """The key/value pairs in the order go-yaml v2 sets them: a merge key sets its mapping's
    pairs where it stands, so a later key (explicit or merged) overrides an earlier one."""
    out: list[tuple[yaml.Node, yaml.Node]] = []
    for key, value in node.value:
        if _is_merge(key):
            out.extend(_merged_pairs(value))
        else:
            out.append((key, value))
    return out


def _key(loader: _KubernetesConstructor, key: yaml.Node) -> tuple[str, tuple[str, Any]]:
    """The JSON key (sigs.k8s.io/yaml convertToJSONableObject) and the Go key it came from."""
    if not isinstance(key, yaml.ScalarNode):
        raise _refuse(key, ValueError("a mapping key must be a scalar, not a list or mapping"))
    try:
        if key.tag == _PLAIN:
            _, value = scalars.resolve("", key.value)
        elif key.tag == scalars.STR:
            value = key.value
        elif key.tag == scalars.BINARY:
            value = scalars.decode_binary(key.value)
        else:
            _, value = scalars.resolve(key.tag, key.value)
        return scalars.key_string(value), (type(value).__name__, value)
    except scalars.ScalarError as err:
        raise _refuse(key, err) from None


def _mapping(loader: _KubernetesConstructor, node: yaml.MappingNode) -> dict[str, Any]:
    if loader.unique_keys:
        _refuse_duplicates(loader, node)
    result: dict[str, Any] = {}
    origin: dict[str, tuple[tuple[str, Any], yaml.Node]] = {}
    for key_node, value_node in _pairs(node):
        key, go_key = _key(loader, key_node)
        seen = origin.get(key)
        if seen is not None and seen[0] != go_key:
            raise _refuse(
                key_node,
                ValueError(
                    f"the keys on lines {seen[1].start_mark.line + 1} and "
                    f"{key_node.start_mark.line + 1} both become {excerpt_key(key)} in JSON, and "
                    "Kubernetes keeps one of them at random; write the key once"
                ),
            )
        origin[key] = (go_key, key_node)
        result[key] = loader.construct_object(value_node, deep=True)
    return result


def excerpt_key(key: str) -> str:
    return scalars.excerpt(key)


def _refuse_duplicates(loader: _KubernetesConstructor, node: yaml.MappingNode) -> None:
    lines: dict[str, int] = {}
    for key_node, _ in node.value:
        if _is_merge(key_node):
            continue
        key, _ = _key(loader, key_node)
        line = key_node.start_mark.line + 1
        if key in lines:
            raise _refuse(
                key_node,
                ValueError(
                    f"the key {scalars.excerpt(key)} is already set on line {lines[key]}; "
                    "write each key once"
                ),
            )
        lines[key] = line


_KubernetesConstructor.add_constructor(_PLAIN, _plain)
for _tag in (scalars.STR, _MAP, _SEQ, None):  # an explicit tag may sit on any kind of node
    _KubernetesConstructor.add_constructor(_tag, _any)


# A document may expand (through aliases) to at most this many nodes. Real manifests stay far below.
MAX_EXPANDED_NODES = 2_000_000
# ... and at most this many bytes of scalar text (a 1 MB anchored string aliased a thousand times
# is a gigabyte in JSON): the largest file dxguard reads by default.
MAX_EXPANDED_BYTES = 64 * 1024 * 1024
# Something that may be an alias (`*name` where a node can start); a `*` inside a quoted cron
# schedule ('15 2 * * *') is not. False positives only cost the (correct) alias walk.
_ALIAS = re.compile(r"(?:^|[\s\[{,:])\*[^\s,\[\]{}'\"*]")

# -- the fast path ------------------------------------------------------------------------------
# yaml-rs (a YAML 1.2 parser in Rust) reads plain manifests an order of magnitude faster than
# libyaml plus Python construction. It is used only where it gives exactly the values the loader
# above gives: text without anchors, aliases, tags, merge keys, directives or document-end
# markers, and without any plain scalar that YAML 1.1 types differently from YAML 1.2 (yes/no/
# on/off, y/n, leading-zero or 0b/0o numbers, underscores, sexagesimal, exponents, NaN/infinity,
# integers of 19 digits or more), as a value or as a key. Anything else — any disagreement on the
# number of documents, and any value that is not plain JSON within limits.py's bounds (a key that
# is not a string, nesting too deep) — takes the libyaml path.
_PLAIN_1_1 = (
    r"(?:[yY]es|YES|[nN]o|NO|[oO]n|ON|[oO]ff|OFF|[yYnN]"
    r"|[-+]?[0-9]{19,}|[-+]?\.[0-9][0-9_]*_[0-9_]*|[-+]?[0-9a-fA-FxXoO.]*_[0-9a-fA-FxXoO_.+-]*"
    r"|[-+]?0[0-9a-zA-Z_:]\S*"
    r"|[-+]?[0-9][0-9_]*_[0-9_.]*"
    r"|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?"
    r"|[-+]?[0-9_.]*[0-9.][eE][-+]?[0-9]+"
    r"|[-+]?\.(?i:nan|inf)|[-+]\.[0-9]|=)"
)
_END = r"[ \t]*(?:#[^\n]*)?(?:\n|$|[,\]}]|:[ \t\n])"
# Every character a _PLAIN_1_1 match can start with, as a lookahead: it changes no match, but lets
# the common key or value (`name`, `image`) fail at its first character instead of trying each
# alternative (on the 10k corpus: 2.5 s of regular expressions → 0.5 s).
_STARTS_1_1 = r"(?=[-+0-9._=a-fA-FxXoOyYnN])"
# A plain value (after `key: `, `- `, `? ` or inside a flow collection) with a YAML 1.1 meaning.
# Written as one character set first (a lookbehind tells which separator it was), so that the
# search skips to the next separator at C speed; the same matches as
# `(?:[:\-?] |[\[{,] ?)` + _PLAIN_1_1 + _END.
_VALUE_1_1 = re.compile(
    r"[:\-?\[{,](?:(?<=[:\-?]) |(?<=[\[{,]) ?)" + _STARTS_1_1 + _PLAIN_1_1 + _END
)
# ... or as a block mapping key (`on:`, `0o17:`), after the indentation and any `- `. The
# indentation is taken whole (possessive: no _PLAIN_1_1 match starts with a blank, nor with a
# `-` followed by one, so giving any of it back could not match); the same matches as
# `^[ \t]*(?:-[ \t]+)*` + _PLAIN_1_1 + `[ \t]*:(?:[ \t\r\n]|$)`.
_KEY_1_1 = re.compile(
    r"^[ \t]*+(?:-[ \t]++)*+" + _STARTS_1_1 + _PLAIN_1_1 + r"[ \t]*:(?:[ \t\r\n]|$)", re.M
)
# An anchor, alias or tag where a node starts (a `*` in a quoted cron schedule is not one):
# `(?:^|[\s\[{,:])[&*!][^\s"']` (multi-line), written to start with its one character set
# (the lookbehind checks the character before it; the text's first character is tested apart).
_PROPERTIES = re.compile(r"[&*!](?<=[\s\[{,:][&*!])[^\s\"']")
_PROPERTIES_AT_START = re.compile(r"[&*!][^\s\"']")
# ... and text YAML 1.1 and 1.2 parse differently: `[a:, b]` (a plain scalar or an implicit
# mapping inside a flow collection).
_LITERALS = ("<<", "\t", "\n%", "\n...", "%YAML", "%TAG", ":,", ":]", ":}")


def _needs_libyaml(text: str) -> bool:
    """True when yaml-rs might read the text differently from the libyaml loader above.

    Cheap tests first (substring searches run at C speed over megabytes); the regular
    expressions only where their trigger characters occur. False positives only cost speed.
    """
    if text.startswith(("%", "...")) or any(lit in text for lit in _LITERALS):
        return True
    if ("&" in text or "*" in text or "!" in text) and (
        _PROPERTIES_AT_START.match(text) or _PROPERTIES.search(text)
    ):
        return True
    return _VALUE_1_1.search(text) is not None or _KEY_1_1.search(text) is not None


_DOC_MARKER = re.compile(r"^---(?:[ \t]|$)", re.M)
# Block nesting needs a column per level (indentation, `- `, `? `); flow nesting yaml-rs bounds
# itself. A line whose content starts this far right may nest deeper than yaml-rs survives.
_DEEP_BLOCK = re.compile(r"^[ \t?:-]{400}", re.M)
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
    if _DEEP_BLOCK.search(text):  # yaml-rs recurses without a limit on block nesting: it would
        return None  # crash the process; libyaml stops at 1,000 levels with an error
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
    if json_problem(values) is not None:  # a non-string key, or too deep: libyaml explains
        return None
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
    """Reject alias bombs (in nodes or in bytes), recursive anchors and excessive nesting before
    constructing values. Each node is measured once: an alias costs its target's size again."""
    sizes: dict[int, tuple[int, int]] = {}
    active: set[int] = set()

    def size(n: yaml.Node, depth: int) -> tuple[int, int]:
        key = id(n)
        if key in sizes:
            return sizes[key]
        if key in active:
            raise InputError(
                f"{filename}:{n.start_mark.line + 1}: a YAML anchor refers to itself "
                "(recursive alias); remove the recursive reference"
            )
        if depth >= MAX_DEPTH and not isinstance(n, yaml.ScalarNode):
            raise InputError(
                f"{filename}:{n.start_mark.line + 1}: YAML nesting deeper than {MAX_DEPTH} "
                "levels; this is not a manifest dxguard can examine"
            )
        active.add(key)
        nodes, size_bytes = 1, 2
        if isinstance(n, yaml.ScalarNode):
            size_bytes += len(n.value)
        else:
            children = n.value
            if isinstance(n, yaml.MappingNode):
                children = [c for pair in n.value for c in pair]
            for child in children:
                child_nodes, child_bytes = size(child, depth + 1)
                nodes += child_nodes
                size_bytes += child_bytes
        active.discard(key)
        sizes[key] = (nodes, size_bytes)
        if nodes > MAX_EXPANDED_NODES:
            raise InputError(
                f"{filename}:{n.start_mark.line + 1}: YAML aliases expand this document to "
                f"more than {MAX_EXPANDED_NODES:,} nodes (an alias bomb?); "
                "write the document out without anchors and aliases"
            )
        if size_bytes > MAX_EXPANDED_BYTES:
            raise InputError(
                f"{filename}:{n.start_mark.line + 1}: YAML aliases expand this document to "
                f"more than {MAX_EXPANDED_BYTES // (1024 * 1024)} MiB of text (an alias bomb?); "
                "write the document out without anchors and aliases"
            )
        return nodes, size_bytes

    size(node, 0)


def parse_documents(
    text: str, filename: str, *, fast: bool = True, unique_keys: bool = False
) -> list[Document]:
    """All documents of a YAML stream, with the line each starts on. Empty documents included.

    Plain manifests take the yaml-rs fast path (see above); everything else, and every error
    message, comes from libyaml. With `unique_keys`, a key written twice in one mapping is an
    error (dxguard's own config and waiver files); otherwise the later value wins, as in kubectl.
    """
    if fast and not unique_keys:
        docs = _fast_documents(text)
        if docs is not None:
            return docs
    try:
        return _parse(KubernetesLoader(text), text, filename, unique_keys)
    except _DuplicateAnchor:
        return _parse(_PythonKubernetesLoader(text), text, filename, unique_keys)


class _DuplicateAnchor(Exception):
    pass


def _parse(
    loader: _KubernetesConstructor, text: str, filename: str, unique_keys: bool
) -> list[Document]:
    loader.unique_keys = unique_keys
    docs: list[Document] = []
    has_alias = _ALIAS.search(text) is not None
    node = None
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
                line = node.start_mark.line + 1
                check_document(value, filename, _line_finder(node), line)
                docs.append(Document(index, line, value, node))
            index += 1
    except RefusedValue as err:
        line, col = _mark(err)
        raise InputError(
            f"{filename}:{line}:{col}: {err.problem}",
            hint="dxguard's own files (config, waivers, catalogs) write each key once"
            if unique_keys
            else "kubectl reads YAML with sigs.k8s.io/yaml; write the value as it should be read",
        ) from None
    except yaml.composer.ComposerError as err:
        if "duplicate anchor" in str(err.context or ""):
            raise _DuplicateAnchor from None
        raise _malformed(err, filename) from None
    except yaml.MarkedYAMLError as err:
        raise _malformed(err, filename) from None
    except yaml.YAMLError as err:  # errors without a position (e.g. reader errors)
        raise InputError(f"{filename}: malformed YAML: {scalars.excerpt(str(err), 200)}") from None
    except RecursionError:
        line = _deep_line(node) if node is not None else None
        raise InputError(
            f"{filename}{f':{line}' if line else ''}: the document is nested more than "
            f"{MAX_DEPTH} levels deep, more than dxguard and OPA can carry; no manifest nests "
            "that deeply"
        ) from None
    finally:
        loader.dispose()
    return docs


def _deep_line(root: yaml.Node) -> int | None:
    """The line of the first node nested deeper than MAX_DEPTH (iteratively: no recursion)."""
    stack: list[tuple[yaml.Node, int]] = [(root, 0)]
    seen: set[int] = set()
    while stack:
        node, depth = stack.pop()
        if id(node) in seen or isinstance(node, yaml.ScalarNode):
            continue
        seen.add(id(node))
        if depth >= MAX_DEPTH:
            return node.start_mark.line + 1
        children = node.value if isinstance(node, yaml.SequenceNode) else [v for _, v in node.value]
        stack.extend((child, depth + 1) for child in reversed(children))
    return None


def _malformed(err: yaml.MarkedYAMLError, filename: str) -> InputError:
    line, col = _mark(err)
    where = f"{filename}:{line}:{col}" if line else filename
    problem = err.problem or err.context or "invalid YAML"
    if "maximum nesting depth" in problem:  # libyaml stops at 1,000 levels
        return InputError(
            f"{where}: the document is nested more than 1,000 levels deep (dxguard and OPA "
            f"carry {MAX_DEPTH}); no manifest nests that deeply"
        )
    return InputError(
        f"{where}: malformed YAML: {problem}",
        hint="fix the YAML syntax at that line (indentation, a missing ':' or quote, tabs)",
    )


def _line_finder(node: yaml.Node):  # noqa: ANN202 - a small closure
    def line_of(path: list[str | int]) -> int | None:
        from checker.loaders.locate import line_of_path  # locate imports this module

        return line_of_path(node, path)

    return line_of
