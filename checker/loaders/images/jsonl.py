"""JSON Lines files (*.jsonl): one JSON document per line, as `*.intoto.jsonl` provenance files,
`cosign verify-attestation` output and `gh attestation download` bundles are written.

Each non-empty line is parsed with JSON's rules and offered to the document loaders like any
other document (the format is still recognised by content); a line nobody claims is listed as
skipped, and a line that is not JSON is an input error naming file, line and column.
"""

from __future__ import annotations

import json

from checker.errors import InputError
from checker.loaders import DOCUMENT_LOADERS, TEXT_LOADERS, LoadContext
from checker.loaders.limits import JsonValueError, check_document, loads_json
from checker.loaders.yamldocs import Document
from checker.model import Resource, Skipped


def load(ctx: LoadContext) -> list[Resource]:
    out: list[Resource] = []
    index = 0
    for number, line in enumerate(ctx.text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = loads_json(line)
        except json.JSONDecodeError as err:
            raise InputError(
                f"{ctx.file}:{number}:{err.colno}: malformed JSON line: {err.msg}",
                hint="a .jsonl file holds one complete JSON document per line",
            ) from None
        except JsonValueError as err:
            raise InputError(f"{ctx.file}:{number}: {err.message}") from None
        except RecursionError:
            raise InputError(f"{ctx.file}:{number}: JSON nesting too deep to parse") from None
        check_document(value, ctx.file, lambda _path, n=number: n, number)
        doc = Document(index, number, value, None)
        line_ctx = LoadContext(ctx.file, line, ctx.result)
        for loader in DOCUMENT_LOADERS:
            claimed = loader(doc, line_ctx)
            if claimed is not None:
                out.extend(claimed)
                break
        else:
            ctx.result.skipped.append(
                Skipped(ctx.file, "JSON line of no format dxguard reads", index, number)
            )
        index += 1
    return out


TEXT_LOADERS[".jsonl"] = load
