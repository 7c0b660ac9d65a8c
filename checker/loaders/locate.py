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
    """Resolve (resource id, field path) → line, parsing only the documents that have failures.

    Keeping every YAML node of a large scan in memory would cost far more than re-reading the few
    documents that have failures. The first lookup in a document cuts that document's lines out
    of its file (its start line is known from loading), walks its YAML events once and indexes
    the line of every field path; later lookups in the same document are dictionary hits. A file
    that changed on disk since it was loaded (digest mismatch) falls back to the document's line.
    """

    def __init__(self, load: LoadResult):
        self._resources = {r.id: r for r in load.resources}
        self._tables = load.line_tables
        self._texts = load.texts
        self._digests = {i.path: i.sha256 for i in load.inputs}
        self._doc_lines = load.doc_lines
        self._file_lines: dict[str, list[str] | None] = {}
        self._indexes: dict[tuple[str, int], dict[tuple, int] | None] = {}

    def __call__(self, resource_id: str, path: str) -> int:
        res = self._resources[resource_id]
        src = res.source
        table = self._tables.get(resource_id)
        if table is not None:
            return _line_from_table(table, path, src.line)
        index = self._index(src.file, src.document)
        if not index:
            return src.line
        segments: list[str | int] = parse_path(path)
        segments = [*src.pointer, *segments]
        if src.item is not None:
            segments = ["items", src.item, *segments]
        for end in range(len(segments), -1, -1):
            line = index.get(tuple(segments[:end]))
            if line is not None:
                return line
        return src.line

    def _lines(self, file: str) -> list[str] | None:
        if file not in self._file_lines:
            text = self._texts.get(file)
            if text is None:
                try:
                    data = Path(file).read_bytes()
                except OSError:
                    data = None
                if data is not None and hashlib.sha256(data).hexdigest() == self._digests.get(file):
                    text = data.decode("utf-8-sig", errors="replace")
            self._file_lines[file] = text.splitlines(keepends=True) if text is not None else None
        return self._file_lines[file]

    def _index(self, file: str, document: int) -> dict[tuple, int] | None:
        key = (file, document)
        if key not in self._indexes:
            self._indexes[key] = None
            lines = self._lines(file)
            starts = self._doc_lines.get(file)
            if lines is not None and starts and document < len(starts):
                first = starts[document]
                last = starts[document + 1] - 1 if document + 1 < len(starts) else len(lines)
                text = "".join(lines[first - 1 : last])
                self._indexes[key] = index_lines(text, first - 1)
        return self._indexes[key]


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


def index_lines(text: str, offset: int = 0) -> dict[tuple, int] | None:
    """Every field path of the first YAML document in text → its 1-based line (+ offset).

    A mapping key's path points at the key's line; a sequence item's path at the item's line.
    Returns None when the text is not YAML that libyaml can read (e.g. JSON with surrogates).
    """
    parser = YamlLoader(text)
    out: dict[tuple, int] = {(): offset + 1}
    # Frames: [path, is_mapping, expecting_key, current_key, next_index]
    stack: list[list] = []
    try:
        while True:
            event = parser.get_event()
            if isinstance(event, yaml.DocumentEndEvent | yaml.StreamEndEvent):
                break
            if isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
                stack.pop()
                continue
            if not isinstance(event, yaml.NodeEvent):
                continue  # stream/document start
            line = event.start_mark.line + 1 + offset
            is_start = isinstance(event, yaml.CollectionStartEvent)
            if not stack:
                out[()] = line
                if is_start:
                    stack.append([(), isinstance(event, yaml.MappingStartEvent), True, None, 0])
                continue
            frame = stack[-1]
            path = frame[0]
            if frame[1]:  # in a mapping
                if frame[2]:  # this node is a key
                    frame[2] = False
                    if is_start:  # a complex key: ignore its contents
                        frame[3] = None
                        stack.append(
                            [None, isinstance(event, yaml.MappingStartEvent), True, None, 0]
                        )
                        continue
                    frame[3] = getattr(event, "value", None)
                    if path is not None and frame[3] is not None:
                        out.setdefault((*path, frame[3]), line)
                    continue
                frame[2] = True  # this node is the value; the next node is a key
                child = (*path, frame[3]) if path is not None and frame[3] is not None else None
            else:  # in a sequence
                child = (*path, frame[4]) if path is not None else None
                frame[4] += 1
                if child is not None:
                    out.setdefault(child, line)
            if is_start:
                stack.append([child, isinstance(event, yaml.MappingStartEvent), True, None, 0])
    except yaml.YAMLError:
        return None
    finally:
        parser.dispose()
    return out
