"""Find the line of a field path (`spec.containers[0].image`) inside a YAML document.

Checks report field paths; SARIF, the table and the evidence report need the line. The path is
followed as far as it exists: a missing field (e.g. an absent runAsNonRoot) resolves to the line
of its nearest existing parent, which is where the fix goes.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from array import array
from collections.abc import Callable, Iterable
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


# Per file, per document: the (resource id, path) pairs wanted there → their path segments.
_Work = list[tuple[str, dict[int, dict[tuple[str, str], tuple]]]]


class Locator:
    """Resolve (resource id, field path) → line, parsing only the documents that have failures.

    Keeping every YAML node of a large scan in memory would cost far more than re-reading the few
    documents that have failures. `prefetch` takes every (resource, path) the report needs, cuts
    each document concerned out of its file (its start line is known from loading) and walks its
    YAML events once, recording the lines of just the wanted paths and their parents; lookups are
    then dictionary hits. With many documents to walk and a second core, a forked child walks
    half of the files (its answers come back as one array of line numbers; if it fails, the
    parent walks them itself). A path nobody prefetched indexes its whole document on first use.
    A file that changed on disk since it was loaded (digest mismatch) falls back to the
    document's line.
    """

    def __init__(self, load: LoadResult, *, fork: bool = False):
        self._fork_allowed = fork  # the front door decides whether a helper may be forked
        self._resources = {r.id: r for r in load.resources}
        self._tables = load.line_tables
        self._texts = load.texts
        self._digests = {i.path: i.sha256 for i in load.inputs}
        self._doc_lines = load.doc_lines
        self._file_lines: dict[str, list[str] | None] = {}
        # (file, document) → index of every path → line (documents indexed whole, on demand)
        self._indexes: dict[tuple[str, int], dict[tuple, int] | None] = {}
        # (resource id, path) → line, for the pairs prefetch resolved
        self._answers: dict[tuple[str, str], int] = {}

    def _segments(self, resource_id: str, path: str) -> tuple:
        src = self._resources[resource_id].source
        segments: list[str | int] = [*src.pointer, *parse_path(path)]
        if src.item is not None:
            segments = ["items", src.item, *segments]
        return tuple(segments)

    def prefetch(self, pairs: Iterable[tuple[str, str]]) -> None:
        """Resolve the given (resource id, path) pairs, walking each document concerned once."""
        jobs: dict[str, dict[int, dict[tuple[str, str], tuple]]] = {}
        for pair in pairs:
            resource_id = pair[0]
            if resource_id in self._tables or pair in self._answers:
                continue
            src = self._resources[resource_id].source
            if (src.file, src.document) in self._indexes:
                continue
            docs = jobs.setdefault(src.file, {})
            docs.setdefault(src.document, {})[pair] = self._segments(*pair)
        files = sorted(jobs)
        if (
            sum(len(jobs[f]) for f in files) >= PARALLEL_MIN_DOCUMENTS
            and self._fork_allowed
            and _can_fork()
        ):
            # Split the files in two halves of about as many documents; the child walks one.
            halves: tuple[list[str], list[str]] = ([], [])
            sizes = [0, 0]
            for f in sorted(files, key=lambda f: -len(jobs[f])):
                lighter = 0 if sizes[0] <= sizes[1] else 1
                halves[lighter].append(f)
                sizes[lighter] += len(jobs[f])
            theirs = [(f, jobs[f]) for f in sorted(halves[1])]
            child = _fork(lambda: self._resolve(theirs))
            mine = [(f, jobs[f]) for f in sorted(halves[0])]
            self._keep(mine, self._resolve(mine))
            lines = child.collect(sum(len(p) for _, docs in theirs for p in docs.values()))
            self._keep(theirs, lines if lines is not None else self._resolve(theirs))
        else:
            work = [(f, jobs[f]) for f in files]
            self._keep(work, self._resolve(work))

    def _resolve(
        self, work: list[tuple[str, dict[int, dict[tuple[str, str], tuple]]]]
    ) -> list[int]:
        """The line of every pair in `work`, in order: one walk per document."""
        out: list[int] = []
        for file, docs in work:
            for document, pairs in docs.items():
                prefixes = {p[:end] for p in pairs.values() for end in range(len(p) + 1)}
                text, offset = self._document_text(file, document)
                index = index_lines(text, offset, prefixes) if text is not None else None
                for (resource_id, _), segments in pairs.items():
                    default = self._resources[resource_id].source.line
                    out.append(_nearest(index, segments, default))
            # every wanted line of this file is known: its text is not kept (a path asked for
            # later reads the file again, digest-checked)
            self._file_lines.pop(file, None)
        return out

    def _keep(self, work: _Work, lines: list[int]) -> None:
        pairs = (pair for _, docs in work for p in docs.values() for pair in p)
        self._answers.update(zip(pairs, lines, strict=True))

    def __call__(self, resource_id: str, path: str) -> int:
        res = self._resources[resource_id]
        src = res.source
        table = self._tables.get(resource_id)
        if table is not None:
            return _line_from_table(table, path, src.line)
        line = self._answers.get((resource_id, path))
        if line is not None:
            return line
        key = (src.file, src.document)
        if key not in self._indexes:
            # Not prefetched (or a field that does not exist): index the whole document once.
            text, offset = self._document_text(src.file, src.document)
            self._indexes[key] = index_lines(text, offset) if text is not None else None
        return _nearest(self._indexes[key], self._segments(resource_id, path), src.line)

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

    def _document_text(self, file: str, document: int) -> tuple[str | None, int]:
        """The document's own lines (and how many lines precede them), or None."""
        lines = self._lines(file)
        starts = self._doc_lines.get(file)
        if lines is None or not starts or document >= len(starts):
            return None, 0
        first = starts[document]
        last = starts[document + 1] - 1 if document + 1 < len(starts) else len(lines)
        return "".join(lines[first - 1 : last]), first - 1


# Below this many documents to walk, a second process costs more than it saves.
PARALLEL_MIN_DOCUMENTS = 400


def _nearest(index: dict[tuple, int] | None, segments: tuple, default: int) -> int:
    """The line of the longest prefix of segments that the index holds (its nearest parent)."""
    if not index:
        return default
    for end in range(len(segments), -1, -1):
        line = index.get(segments[:end])
        if line is not None:
            return line
    return default


# The largest resident size at which the line-finding forks. The child's pages are shared with
# the parent only until either writes them, and the parent writes all over its heap while the
# child works: at 100k resources (about 2 GiB resident) the fork doubled the scan's peak memory
# (measured: 3.97 GiB with it, 2.0 GiB without) to save a few seconds of a four-minute scan.
FORK_MAX_RSS = 768 * 1024 * 1024


def _can_fork() -> bool:
    """A fork is safe and useful: a second core, no other thread (a lock another thread holds
    would stay locked in the child, so a threaded server stays serial), and a heap small enough
    that a second copy of it costs little (FORK_MAX_RSS)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return (
        hasattr(os, "fork")
        and cores > 1
        and threading.active_count() == 1
        and _resident_bytes() <= FORK_MAX_RSS
    )


def _resident_bytes() -> int:
    """This process's resident size now (0 where /proc is missing: no bound is known)."""
    try:
        with open("/proc/self/statm", "rb") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


class _Child:
    def __init__(self, pid: int | None, fd: int | None):
        self.pid, self.fd = pid, fd

    def collect(self, count: int) -> list[int] | None:
        """The child's answers, or None (then the caller does the work) if it failed."""
        if self.pid is None or self.fd is None:
            return None
        with os.fdopen(self.fd, "rb") as fh:
            data = fh.read()
        _, status = os.waitpid(self.pid, 0)
        if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
            return None
        lines = array("q")
        lines.frombytes(data)
        return lines.tolist() if len(lines) == count else None


def _fork(work: Callable[[], list[int]]) -> _Child:
    """Run work() in a forked child that writes its line numbers to a pipe and exits."""
    read_fd, write_fd = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(read_fd)
        os.close(write_fd)
        return _Child(None, None)
    if pid == 0:  # the child: never returns, never runs the parent's exit handlers
        code = 1
        try:
            from checker.engine.server import _die_with_parent

            _die_with_parent()  # a parent stopped by a signal takes the child with it
            os.close(read_fd)
            data = array("q", work()).tobytes()
            with os.fdopen(write_fd, "wb") as fh:
                fh.write(data)
            code = 0
        finally:
            os._exit(code)
    os.close(write_fd)
    return _Child(pid, read_fd)


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


_SCALAR = yaml.ScalarEvent
_ALIAS_EVENT = yaml.AliasEvent
_MAP_START, _MAP_END = yaml.MappingStartEvent, yaml.MappingEndEvent
_SEQ_START, _SEQ_END = yaml.SequenceStartEvent, yaml.SequenceEndEvent
_DOC_END, _STREAM_END = yaml.DocumentEndEvent, yaml.StreamEndEvent


def index_lines(
    text: str, offset: int = 0, wanted: set[tuple] | None = None
) -> dict[tuple, int] | None:
    """Field paths of the first YAML document in text → their 1-based line (+ offset).

    A mapping key's path points at the key's line; a sequence item's path at the item's line.
    With `wanted` (a set of paths closed under prefixes), only those paths are recorded and the
    subtrees outside them are skipped without bookkeeping. Returns None when the text is not YAML
    that libyaml can read (e.g. JSON with surrogates).
    """
    parser = YamlLoader(text)
    out: dict[tuple, int] = {(): offset + 1}
    remaining = set(wanted) - {()} if wanted is not None else None
    # Frames: [path, is_mapping, expecting_key, current_key, next_index]
    stack: list[list] = []
    skip = 0  # depth inside a subtree nobody wants
    get_event = parser.get_event
    try:
        while True:
            event = get_event()
            kind = type(event)
            if skip:  # inside an unwanted subtree: only keep count of its depth
                if kind is _SCALAR or kind is _ALIAS_EVENT:
                    continue
                if kind is _MAP_START or kind is _SEQ_START:
                    skip += 1
                elif kind is _MAP_END or kind is _SEQ_END:
                    skip -= 1
                continue
            if kind is _MAP_END or kind is _SEQ_END:
                done = stack.pop()[0]
                if remaining:  # wanted paths under a finished collection do not exist
                    n = len(done)
                    remaining = {p for p in remaining if p[:n] != done}
                    if not remaining:
                        break
                continue
            if kind is _DOC_END or kind is _STREAM_END:
                break
            is_map = kind is _MAP_START
            is_start = is_map or kind is _SEQ_START
            if not (is_start or kind is _SCALAR or kind is _ALIAS_EVENT):
                continue  # stream/document start
            line = event.start_mark.line + 1 + offset
            if not stack:
                out[()] = line
                if is_start:
                    stack.append([(), is_map, True, None, 0])
                continue
            frame = stack[-1]
            path = frame[0]
            if frame[1]:  # in a mapping
                if frame[2]:  # this node is a key
                    frame[2] = False
                    if is_start:  # a complex key: ignore its contents
                        frame[3] = None
                        skip = 1
                        continue
                    frame[3] = getattr(event, "value", None)
                    key_path = (*path, frame[3])
                    if frame[3] is not None and (wanted is None or key_path in wanted):
                        out.setdefault(key_path, line)
                        if remaining is not None:
                            remaining.discard(key_path)
                    continue
                frame[2] = True  # this node is the value; the next node is a key
                child = (*path, frame[3]) if frame[3] is not None else None
            else:  # in a sequence
                child = (*path, frame[4])
                frame[4] += 1
                if wanted is None or child in wanted:
                    out.setdefault(child, line)
                    if remaining is not None:
                        remaining.discard(child)
            if remaining is not None and not remaining:
                break  # every wanted path has its line
            if is_start:
                if child is None or (wanted is not None and child not in wanted):
                    skip = 1
                else:
                    stack.append([child, is_map, True, None, 0])
    except yaml.YAMLError:
        return None
    finally:
        parser.dispose()
    return out
