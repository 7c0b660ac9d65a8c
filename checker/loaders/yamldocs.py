"""Parse YAML (and JSON, which YAML reads too) into documents that keep their line numbers.

This module only turns text into Python values plus positions; it knows nothing of Kubernetes.
It guards against hostile input: alias bombs (anchors that expand exponentially) and recursive
anchors fail with an InputError naming file and line; libyaml itself refuses nesting deeper
than it can handle. The alias walk runs only on text that has an alias, so plain manifests
pay nothing for it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

from checker.errors import InputError

YamlLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# A document may expand (through aliases) to at most this many nodes. Real manifests stay far below.
MAX_EXPANDED_NODES = 2_000_000
MAX_DEPTH = 200
# Something that may be an alias (`*name` where a node can start); a `*` inside a quoted cron
# schedule ('15 2 * * *') is not. False positives only cost the (correct) alias walk.
_ALIAS = re.compile(r"(?:^|[\s\[{,:])\*[^\s,\[\]{}'\"*]")


@dataclass
class Document:
    index: int
    line: int  # 1-based line where the document's content starts
    value: Any
    node: yaml.Node | None


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


def parse_documents(text: str, filename: str) -> list[Document]:
    """All documents of a YAML stream, with the line each starts on. Empty documents included."""
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
