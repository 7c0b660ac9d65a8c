"""Loaders: read files, directories and stdin into resource records that keep their source.

What this package does: find input files, read them safely (size limit, UTF-8), parse them
(YAML multi-document, JSON, or a format's own parser), hand each document to the loader of its
format — detected by content, not by file name — and record a SHA-256 per input file.
What it must not do: judge anything. Checks live in rego/; this only describes what is there.

Extension points (a format module registers itself here, nowhere else):
- DOCUMENT_LOADERS: claim a parsed YAML/JSON document by its content and return its resources;
  the Kubernetes loader comes last and reports whatever nobody claimed as skipped.
- TEXT_LOADERS: formats that are not YAML or JSON (e.g. Packer HCL2), by file-name suffix.
- FINALIZERS: steps that run once after every input is loaded, to merge or link records across
  files (e.g. scan reports and SBOMs of the same image digest).
- JOINERS: (resources, context) → None, completing records that name others (a KubeVirt VM's
  instancetype) from a context of already loaded records: what a door that loads one object at
  a time (the webhook) calls with its inventory, so the object reads as it would in a scan.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from checker.errors import DxguardError, InputError
from checker.loaders.kubernetes import check_run_together, resources_from_document
from checker.loaders.limits import (
    MAX_DEPTH,
    JsonValueError,
    check_document,
    find_non_finite,
    loads_json,
)
from checker.loaders.scalars import excerpt
from checker.loaders.yamldocs import Document, parse_documents
from checker.model import InputFile, LoadResult, Resource, Skipped
from checker.workloads import DEFAULT, WorkloadTable


@dataclass(frozen=True)
class LoadContext:
    """What a format loader may know about the document it is offered."""

    file: str  # display path, as reports show it
    text: str  # the whole file's text (e.g. to see a '#cloud-config' header)
    result: LoadResult  # to record skipped inputs or cross-file state (result.extras)
    workloads: WorkloadTable = DEFAULT  # where objects carry pod specs (their shapes are read)


# (document, context) → its resources, or None when the document is not this loader's format.
DocumentLoader = Callable[[Document, LoadContext], "list[Resource] | None"]
# (context) → resources of a whole non-YAML file.
TextLoader = Callable[[LoadContext], "list[Resource]"]

DOCUMENT_LOADERS: list[DocumentLoader] = []
TEXT_LOADERS: dict[str, TextLoader] = {}  # lower-case file-name suffix → loader
FINALIZERS: list[Callable[[LoadResult], None]] = []
JOINERS: list[Callable[[list[Resource], list[Resource]], None]] = []
JOIN_KINDS: set[str] = set()  # the kinds joiners read from their context


def join(resources: list[Resource], context: list[Resource]) -> None:
    """Complete `resources` (loaded alone) from `context`, as loading them together would."""
    for joiner in JOINERS:
        joiner(resources, context)


MANIFEST_SUFFIXES = {".yaml", ".yml", ".json"}
DEFAULT_MAX_FILE_BYTES = 64 * 1024 * 1024
STDIN_NAME = "<stdin>"


def load(
    paths: Iterable[str],
    *,
    stdin: TextIO | None = None,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
    stdin_name: str | None = None,
    objects: Iterable[ListedObject] = (),
    workloads: WorkloadTable = DEFAULT,
) -> LoadResult:
    """Load every path (file, directory or '-') in the order given; directories in sorted order.

    Stdin is reported as `<stdin>`, or as stdin_name (--stdin-filename) when given: the name its
    findings, locations and waivers' `file:` selectors use. `objects` are objects that come
    with no file (an audit lists them from a cluster): each is one document under its own name,
    read by the same document loaders as a file's documents, after the paths. `workloads` says
    where objects carry pod specs (the config's table, with its declared custom resources)."""
    result = LoadResult()
    seen: set[str] = set()
    name = stdin_name or STDIN_NAME
    for raw in paths:
        if raw == "-":
            if STDIN_NAME in seen:
                continue
            seen.add(STDIN_NAME)
            stream = stdin if stdin is not None else sys.stdin
            text = stream.read()
            data = text.encode("utf-8")
            result.texts[name] = text
            _load_text(text, data, name, result, is_json=False, workloads=workloads)
            continue
        path = Path(raw)
        if path.is_dir():
            for file_path, display in _walk(path, result):
                _load_file(file_path, display, result, seen, max_file_bytes, workloads)
        elif path.is_file():
            _load_file(path, raw, result, seen, max_file_bytes, workloads)
        elif path.exists():
            raise InputError(f"{raw}: not a regular file or directory")
        else:
            raise InputError(
                f"{raw}: no such file or directory", hint="pass manifest files, folders, or '-'"
            )
    for listed in objects:
        _load_object(listed, result, workloads)
    for finalize in FINALIZERS:
        _guarded(finalize, "the inputs", result)
    return result


def _walk(root: Path, result: LoadResult) -> Iterable[tuple[Path, str]]:
    """The files of a folder that `kubectl apply -f DIR -R` reads, in kubectl's order.

    kubectl (k8s.io/cli-runtime ExpandPathsToFileVisitors) walks with Go's filepath.Walk: every
    entry in lexical order, hidden files and folders included; a file is read when its name ends
    in .json, .yaml or .yml; symbolic links are not followed into folders, but a link to a file
    is read like the file. dxguard reads the same files (and its own formats, e.g. Packer HCL,
    with any case of suffix). Everything else is listed as skipped with its reason: files of
    other kinds (one line per hidden folder, e.g. .git, rather than one per file), links to
    folders, and FIFOs, sockets and devices, which are never opened (reading a FIFO would wait
    forever).
    """
    yield from _walk_folder(root, result, None)


def _walk_folder(
    folder: Path, result: LoadResult, hidden: list | None
) -> Iterable[tuple[Path, str]]:
    try:
        with os.scandir(folder) as scan:
            entries = sorted(scan, key=lambda e: e.name)
    except OSError as err:
        raise InputError(
            f"{folder.as_posix()}: cannot read folder: {err.strerror or err}",
            hint="kubectl apply -R would fail on it too; fix its permissions or leave it out",
        ) from None
    for entry in entries:
        path = folder / entry.name
        shown = path.as_posix()
        try:
            own = entry.stat(follow_symlinks=False)
        except OSError as err:
            raise InputError(f"{shown}: cannot read: {err.strerror or err}") from None
        if stat.S_ISDIR(own.st_mode):
            if entry.name.startswith(".") and hidden is None:
                tally = [shown, 0]
                yield from _walk_folder(path, result, tally)
                if tally[1]:
                    result.skipped.append(Skipped(f"{shown}/", _hidden_reason(tally[1])))
            else:
                yield from _walk_folder(path, result, hidden)
            continue
        mode = own.st_mode
        if stat.S_ISLNK(mode):
            try:
                mode = os.stat(path).st_mode
            except OSError:
                if _readable(entry.name):  # kubectl would fail to open it
                    raise InputError(
                        f"{shown}: symbolic link to nothing (its target does not exist)",
                        hint="kubectl apply -R would fail on it too; fix or remove the link",
                    ) from None
                mode = 0
            if stat.S_ISDIR(mode):
                result.skipped.append(Skipped(shown, _SYMLINK_FOLDER))
                continue
        kind = _special_kind(mode)
        if kind is not None:
            result.skipped.append(Skipped(shown, f"{kind}: not a regular file, never opened"))
            continue
        if not _readable(entry.name):
            if hidden is not None:
                hidden[1] += 1
            else:
                result.skipped.append(Skipped(shown, _not_input_reason()))
            continue
        yield path, shown


_SYMLINK_FOLDER = "symbolic link to a folder: not followed, as kubectl apply -R does not follow it"


def _input_kinds() -> str:
    return ", ".join(sorted(MANIFEST_SUFFIXES | set(TEXT_LOADERS)))


def _not_input_reason() -> str:
    return f"not an input file (read: {_input_kinds()})"


def _hidden_reason(count: int) -> str:
    files = "1 file" if count == 1 else f"{count:,} files"
    return f"{files} in this hidden folder that are not input files (read: {_input_kinds()})"


def _special_kind(mode: int) -> str | None:
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if not stat.S_ISREG(mode) and mode:
        return "not a regular file"
    return None


def _readable(name: str) -> bool:
    lower = name.lower()
    return any(lower.endswith(suffix) for suffix in MANIFEST_SUFFIXES | set(TEXT_LOADERS))


def _text_loader(name: str) -> TextLoader | None:
    lower = name.lower()
    for suffix, loader in sorted(TEXT_LOADERS.items(), key=lambda kv: -len(kv[0])):
        if lower.endswith(suffix):
            return loader
    return None


def _load_file(
    path: Path,
    display: str,
    result: LoadResult,
    seen: set[str],
    max_file_bytes: int,
    workloads: WorkloadTable = DEFAULT,
) -> None:
    key = os.path.realpath(path)
    if key in seen:
        return
    seen.add(key)
    data = _read_regular_file(path, display, max_file_bytes)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise InputError(
            f"{display}:{line}: not UTF-8 text (invalid byte at offset {err.start})",
            hint="save the file as UTF-8; binary files are not manifests",
        ) from None
    _load_text(
        text,
        data,
        display,
        result,
        is_json=path.suffix.lower() == ".json",
        text_loader=_text_loader(path.name),
        workloads=workloads,
    )


def _read_regular_file(path: Path, display: str, max_file_bytes: int) -> bytes:
    """The bytes of a regular file, opened so that nothing can make the read wait: a path that
    turned into a FIFO or a device after the folder walk is refused, never read."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as err:
        raise InputError(f"{display}: cannot read file: {err.strerror or err}") from None
    with os.fdopen(fd, "rb") as fh:
        try:
            info = os.fstat(fd)
            kind = _special_kind(info.st_mode)
            if kind is not None:
                raise InputError(f"{display}: {kind}, not a regular file; it is not read")
            if info.st_size > max_file_bytes:
                raise InputError(
                    f"{display}: file is {info.st_size:,} bytes, over the {max_file_bytes:,}-byte "
                    "limit",
                    hint="split the file, or raise the limit with --max-file-size if it is genuine",
                )
            data = fh.read(max_file_bytes + 1)
        except OSError as err:
            raise InputError(f"{display}: cannot read file: {err.strerror or err}") from None
    if len(data) > max_file_bytes:  # it grew while being read
        raise InputError(f"{display}: file is over the {max_file_bytes:,}-byte limit")
    return data


def _load_text(
    text: str,
    data: bytes,
    display: str,
    result: LoadResult,
    *,
    is_json: bool,
    text_loader: TextLoader | None = None,
    workloads: WorkloadTable = DEFAULT,
) -> None:
    ctx = LoadContext(display, text, result, workloads)
    count_before = len(result.resources)
    if text_loader is not None:
        resources = _guarded(text_loader, display, ctx)
        _check_text_resources(resources, display)
        result.resources.extend(resources)
        documents = 1
    else:
        docs = [_parse_json(text, display)] if is_json else parse_documents(text, display)
        if not is_json:
            check_run_together(text, docs, display)
        result.doc_lines[display] = [d.line for d in docs]
        for doc in docs:
            result.resources.extend(_document_resources(doc, ctx))
        documents = sum(1 for d in docs if d.value is not None)
    result.inputs.append(
        InputFile(
            path=display,
            sha256=hashlib.sha256(data).hexdigest(),
            size=len(data),
            documents=documents,
            resources=len(result.resources) - count_before,
        )
    )


@dataclass(frozen=True)
class ListedObject:
    """An object with no file: its name in reports (e.g. the API path it was listed at), the
    object, and the SHA-256 and size of the bytes that stand for it in the run's inputs."""

    name: str
    value: dict[str, Any]
    sha256: str
    size: int


def _load_object(listed: ListedObject, result: LoadResult, workloads: WorkloadTable) -> None:
    check_document(listed.value, listed.name, lambda _path: None, 1)
    before = len(result.resources)
    ctx = LoadContext(listed.name, "", result, workloads)
    result.doc_lines[listed.name] = [1]
    result.resources.extend(_document_resources(Document(0, 1, listed.value), ctx))
    result.inputs.append(
        InputFile(
            path=listed.name,
            sha256=listed.sha256,
            size=listed.size,
            documents=1,
            resources=len(result.resources) - before,
        )
    )


def _document_resources(doc: Document, ctx: LoadContext) -> list[Resource]:
    where = f"{ctx.file}:{doc.line}"
    if doc.value is not None:
        for loader in DOCUMENT_LOADERS:
            claimed = _guarded(loader, where, doc, ctx)
            if claimed is not None:
                return claimed
    return _guarded(
        resources_from_document, where, doc, ctx.file, ctx.result.skipped, ctx.workloads
    )


def _guarded(fn: Callable[..., Any], where: str, *args: Any) -> Any:
    """Run a format's loader; a shape it did not expect is an input error naming the file and
    line, never a traceback. (Loaders check the shapes they read and say what is wrong; this is
    the net under them, for a shape nobody foresaw.)"""
    try:
        return fn(*args)
    except DxguardError:
        raise
    except (TypeError, ValueError, KeyError, IndexError, AttributeError, RecursionError) as err:
        module = getattr(fn, "__module__", "") or ""
        kind = module.rsplit(".", 1)[-1] if module.startswith("checker.loaders.") else "input"
        raise InputError(
            f"{where}: this {kind} document has a shape dxguard cannot read "
            f"({type(err).__name__}: {excerpt(str(err), 120)})",
            hint="check the document against its format's published schema; if it is valid, "
            "report it to the dxguard maintainers with the file",
        ) from None


def _parse_json(text: str, display: str) -> Document:
    """JSON by JSON's own rules (YAML 1.1 would misread numbers and escapes); lines come later."""
    try:
        value = loads_json(text)
    except json.JSONDecodeError as err:
        raise InputError(
            f"{display}:{err.lineno}:{err.colno}: malformed JSON: {err.msg}",
            hint="fix the JSON syntax at that position",
        ) from None
    except JsonValueError as err:
        at = text.find(err.literal)
        where = f"{display}:{text.count(chr(10), 0, at) + 1}" if at >= 0 else display
        raise InputError(
            f"{where}: {err.message}", hint="write the value as a string or a finite number"
        ) from None
    except RecursionError:
        raise InputError(
            f"{display}:{_deep_json_line(text)}: the document is nested more than {MAX_DEPTH} "
            "levels deep, more than dxguard and OPA can carry; no manifest nests that deeply"
        ) from None
    check_document(value, display, lambda path: _json_line(text, path), 1)
    return Document(0, 1, value, None)


def _deep_json_line(text: str) -> int:
    """The line where JSON text first nests deeper than MAX_DEPTH (strings skipped)."""
    depth, line, in_string, escaped = 0, 1, False, False
    for char in text:
        if char == "\n":
            line += 1
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return line
        elif char in "]}":
            depth -= 1
    return line


def _json_line(text: str, path: list[str | int]) -> int | None:
    """The line of a path in a JSON text (read as YAML events: only when an error needs it)."""
    from checker.loaders.locate import index_lines  # locate imports yamldocs, which imports this

    wanted = {tuple(path[:i]) for i in range(len(path) + 1)}
    lines = index_lines(text, wanted=wanted)
    if not lines:
        return None
    for i in range(len(path), -1, -1):
        if tuple(path[:i]) in lines:
            return lines[tuple(path[:i])]
    return None


def _check_text_resources(resources: list[Resource], display: str) -> None:
    """What a format's own parser produced (e.g. HCL) within the bounds every document keeps."""
    for res in resources:
        for value in (res.object, res.normalized):
            check_document(value, display, lambda _path: None, res.source.line or 1)
            if find_non_finite(value) is not None:
                raise InputError(
                    f"{display}:{res.source.line or 1}: a NaN or infinite number cannot be "
                    "represented in JSON",
                    hint="write a finite number",
                )


# -- format registrations ---------------------------------------------------------------------
# Each format module appends its loader(s) to DOCUMENT_LOADERS / TEXT_LOADERS / FINALIZERS when
# imported. Add one import line per format module below (order = precedence for documents).
import checker.loaders.images.cosign  # noqa: E402,F401  (image evidence: cosign verify)
import checker.loaders.images.cyclonedx  # noqa: E402,F401  (image evidence: CycloneDX SBOM)
import checker.loaders.images.grype  # noqa: E402,F401  (image evidence: Grype JSON)
import checker.loaders.images.intoto  # noqa: E402,F401  (image evidence: in-toto / SLSA)
import checker.loaders.images.jsonl  # noqa: E402,F401  (JSON Lines files of the above)
import checker.loaders.images.oci  # noqa: E402,F401  (image evidence: skopeo/docker inspect)
import checker.loaders.images.record  # noqa: E402,F401  (finalizer: one record per digest)
import checker.loaders.images.sigstore  # noqa: E402,F401  (image evidence: Sigstore bundle)
import checker.loaders.images.spdx  # noqa: E402,F401  (image evidence: SPDX 2.3 SBOM)
import checker.loaders.images.trivy  # noqa: E402,F401  (image evidence: Trivy JSON)
import checker.loaders.vm  # noqa: E402,F401  KubeVirt, Terraform plan JSON, Packer, cloud-init
