"""Find the line of a field path (`spec.containers[0].image`) inside a YAML document.

Checks report field paths; SARIF, the table and the evidence report need the line. The path is
followed as far as it exists: a missing field (e.g. an absent runAsNonRoot) resolves to the line
of its nearest existing parent, which is where the fix goes.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import yaml

from checker.loaders.yamldocs import YamlLoader
from checker.model import LoadResult

_SEGMENT = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def parse_path(path: str) -> list[str | int]:
    """'spec.containers[0].image' → ['spec', 'containers', 0, 'image']."""
    out: list[str | int] = []
    for name, index in _SEGMENT.findall(path):
        out.append(int(index) if index else name)
    return out


def line_of_path(node: yaml.Node | None, path: list[str | int]) -> int | None:
    """1-based line of the deepest node along `path` that exists, or None without a node."""
    if node is None:
        return None
    line = node.start_mark.line + 1
    current = node
    for seg in path:
        nxt = None
        if isinstance(seg, int) and isinstance(current, yaml.SequenceNode):
            if 0 <= seg < len(current.value):
                nxt = current.value[seg]
                line = nxt.start_mark.line + 1
        elif isinstance(seg, str) and isinstance(current, yaml.MappingNode):
            for k, v in current.value:
                if isinstance(k, yaml.ScalarNode) and k.value == seg:
                    nxt = v
                    line = k.start_mark.line + 1  # the key's line is where a reader looks
                    break
        if nxt is None:
            break
        current = nxt
    return line


class Locator:
    """Resolve (resource id, field path) → line, re-reading a file only when a failure is in it.

    Keeping every YAML node of a large scan in memory would cost far more than re-parsing the few
    files that have failures, so nodes are composed lazily and cached per file. A file that
    changed on disk since it was loaded (digest mismatch) falls back to the document's line.
    """

    def __init__(self, load: LoadResult):
        self._resources = {r.id: r for r in load.resources}
        self._tables = load.line_tables
        self._texts = load.texts
        self._digests = {i.path: i.sha256 for i in load.inputs}
        self._nodes: dict[str, list[yaml.Node | None] | None] = {}

    def __call__(self, resource_id: str, path: str) -> int:
        res = self._resources[resource_id]
        src = res.source
        table = self._tables.get(resource_id)
        if table is not None:
            return _line_from_table(table, path, src.line)
        nodes = self._file_nodes(src.file)
        if not nodes or src.document >= len(nodes) or nodes[src.document] is None:
            return src.line
        segments: list[str | int] = parse_path(path)
        segments = [*src.pointer, *segments]
        if src.item is not None:
            segments = ["items", src.item, *segments]
        return line_of_path(nodes[src.document], segments) or src.line

    def _file_nodes(self, file: str) -> list[yaml.Node | None] | None:
        if file in self._nodes:
            return self._nodes[file]
        nodes = None
        text = self._texts.get(file)
        if text is None:
            try:
                data = Path(file).read_bytes()
            except OSError:
                data = None
            if data is not None and hashlib.sha256(data).hexdigest() == self._digests.get(file):
                text = data.decode("utf-8-sig", errors="replace")
        if text is not None:
            nodes = _compose_all(text)
        self._nodes[file] = nodes
        return nodes


def _line_from_table(table: dict[str, int], path: str, default: int) -> int:
    """The line of the longest prefix of `path` that the table knows (its nearest parent)."""
    segments = parse_path(path)
    while segments:
        key = _join(segments)
        if key in table:
            return table[key]
        segments = segments[:-1]
    return default


def _join(segments: list[str | int]) -> str:
    out = ""
    for s in segments:
        out += f"[{s}]" if isinstance(s, int) else (f".{s}" if out else s)
    return out


def _compose_all(text: str) -> list[yaml.Node | None] | None:
    loader = YamlLoader(text)
    out: list[yaml.Node | None] = []
    try:
        while loader.check_node():
            out.append(loader.get_node())
    except yaml.YAMLError:
        return None  # e.g. JSON that YAML cannot read: lines fall back to the document's
    finally:
        loader.dispose()
    return out
