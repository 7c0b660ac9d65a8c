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
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from checker.errors import InputError
from checker.loaders.kubernetes import check_run_together, resources_from_document
from checker.loaders.yamldocs import Document, parse_documents
from checker.model import InputFile, LoadResult, Resource, Skipped


@dataclass(frozen=True)
class LoadContext:
    """What a format loader may know about the document it is offered."""

    file: str  # display path, as reports show it
    text: str  # the whole file's text (e.g. to see a '#cloud-config' header)
    result: LoadResult  # to record skipped inputs or cross-file state (result.extras)


# (document, context) → its resources, or None when the document is not this loader's format.
DocumentLoader = Callable[[Document, LoadContext], "list[Resource] | None"]
# (context) → resources of a whole non-YAML file.
TextLoader = Callable[[LoadContext], "list[Resource]"]

DOCUMENT_LOADERS: list[DocumentLoader] = []
TEXT_LOADERS: dict[str, TextLoader] = {}  # lower-case file-name suffix → loader
FINALIZERS: list[Callable[[LoadResult], None]] = []

MANIFEST_SUFFIXES = {".yaml", ".yml", ".json"}
DEFAULT_MAX_FILE_BYTES = 64 * 1024 * 1024
STDIN_NAME = "<stdin>"


def load(
    paths: Iterable[str],
    *,
    stdin: TextIO | None = None,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
    stdin_name: str | None = None,
) -> LoadResult:
    """Load every path (file, directory or '-') in the order given; directories in sorted order.

    Stdin is reported as `<stdin>`, or as stdin_name (--stdin-filename) when given: the name its
    findings, locations and waivers' `file:` selectors use."""
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
            _load_text(text, data, name, result, is_json=False)
            continue
        path = Path(raw)
        if path.is_dir():
            for file_path, display in _walk(path, result):
                _load_file(file_path, display, result, seen, max_file_bytes)
        elif path.is_file():
            _load_file(path, raw, result, seen, max_file_bytes)
        elif path.exists():
            raise InputError(f"{raw}: not a regular file or directory")
        else:
            raise InputError(
                f"{raw}: no such file or directory", hint="pass manifest files, folders, or '-'"
            )
    for finalize in FINALIZERS:
        finalize(result)
    return result


def _walk(root: Path, result: LoadResult) -> Iterable[tuple[Path, str]]:
    """Manifest files under root, sorted, skipping hidden folders; other files are noted."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            file_path = Path(dirpath) / name
            display = file_path.as_posix()
            if name.startswith("."):
                continue
            if not _readable(name):
                kinds = ", ".join(sorted(MANIFEST_SUFFIXES | set(TEXT_LOADERS)))
                result.skipped.append(Skipped(display, f"not an input file (read: {kinds})"))
                continue
            yield file_path, display


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
    path: Path, display: str, result: LoadResult, seen: set[str], max_file_bytes: int
) -> None:
    key = os.path.realpath(path)
    if key in seen:
        return
    seen.add(key)
    try:
        size = path.stat().st_size
        if size > max_file_bytes:
            raise InputError(
                f"{display}: file is {size:,} bytes, over the {max_file_bytes:,}-byte limit",
                hint="split the file, or raise the limit with --max-file-size if it is genuine",
            )
        data = path.read_bytes()
    except OSError as err:
        raise InputError(f"{display}: cannot read file: {err.strerror or err}") from None
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
    )


def _load_text(
    text: str,
    data: bytes,
    display: str,
    result: LoadResult,
    *,
    is_json: bool,
    text_loader: TextLoader | None = None,
) -> None:
    ctx = LoadContext(display, text, result)
    count_before = len(result.resources)
    if text_loader is not None:
        result.resources.extend(text_loader(ctx))
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


def _document_resources(doc: Document, ctx: LoadContext) -> list[Resource]:
    if doc.value is not None:
        for loader in DOCUMENT_LOADERS:
            claimed = loader(doc, ctx)
            if claimed is not None:
                return claimed
    return resources_from_document(doc, ctx.file, ctx.result.skipped)


class _NotJson(ValueError):
    pass


def _no_constant(name: str) -> Any:
    raise _NotJson(name)


def _parse_json(text: str, display: str) -> Document:
    """JSON by JSON's own rules (YAML 1.1 would misread numbers and escapes); lines come later."""
    try:
        value = json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as err:
        raise InputError(
            f"{display}:{err.lineno}:{err.colno}: malformed JSON: {err.msg}",
            hint="fix the JSON syntax at that position",
        ) from None
    except _NotJson as err:
        raise InputError(
            f"{display}: {err} is not JSON (Python's parser accepts it; Kubernetes and OPA do not)",
            hint="write the value as a string or a finite number",
        ) from None
    except RecursionError:
        raise InputError(f"{display}: JSON nesting too deep to parse") from None
    return Document(0, 1, value, None)


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
