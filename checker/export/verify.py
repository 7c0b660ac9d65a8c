"""Verify an export bundle: the signature, every file's digest, and the records' hash chain.

Checks, each naming what is wrong and where:

1. the signature: manifest.dsse.json is a DSSE envelope signed by the trusted key (the
   `--public-key` given, or the bundle's own key when its fingerprint is the `--fingerprint`
   given; with neither, the bundle's own key is used and the result says it is not trusted),
   and manifest.json is exactly its signed payload, an in-toto Statement of dxguard's export;
2. the files: every subject of the statement is in the zip, readable, with the SHA-256 the
   statement names, and the zip holds nothing else;
3. the chain: records.jsonl holds the records the predicate names, one per line in sequence,
   each naming the previous one's hash (a whole record's hash is the SHA-256 of its line, the
   RFC 8785 JSON the store hashed), the last one hashing to the signed last hash; every run's
   report and every evidence document is the file its record names by digest; the runs the
   predicate lists are the bundle's run records.

A bundle re-signed by someone holding the key could rewrite its chain consistently: only the
store can tell (`dxguard store verify --anchor SEQ:HASH` with the bundle's last record).
Reading is done in worker threads (zlib and hashlib release the GIL); nothing is written.
"""

from __future__ import annotations

import hashlib
import zipfile
import zlib
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from checker.errors import UsageError
from checker.export import manifest as mf
from checker.signing import PublicKey, public_key_from_pem, verify_envelope

REPORT_KINDS = ("run", "audit")


@dataclass(frozen=True)
class Problem:
    where: str  # a file of the bundle, "record N", or "signature"
    kind: str  # signature | key | manifest | file | missing | extra | chain | run
    what: str

    def to_json(self) -> dict[str, str]:
        return {"where": self.where, "kind": self.kind, "what": self.what}


@dataclass
class BundleVerification:
    path: str
    problems: list[Problem] = field(default_factory=list)
    fingerprint: str | None = None  # the key that verified the signature
    trusted: bool = False  # that key was given by the user (or its fingerprint was)
    files: int = 0
    records: int = 0
    runs: int = 0
    period: dict[str, Any] = field(default_factory=dict)
    chain: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems and self.trusted

    def add(self, where: str, kind: str, what: str) -> None:
        self.problems.append(Problem(where, kind, what))

    def to_json(self) -> dict[str, Any]:
        return {
            "bundle": self.path,
            "ok": self.ok,
            "trusted_key": self.trusted,
            "fingerprint": self.fingerprint,
            "files": self.files,
            "records": self.records,
            "runs": self.runs,
            "period": self.period,
            "chain": self.chain,
            "problems": [p.to_json() for p in self.problems],
        }


def verify_bundle(
    path: str | Path,
    *,
    public_key: PublicKey | None = None,
    fingerprint: str | None = None,
    workers: int = 2,
) -> BundleVerification:
    bundle = Path(path)
    if not bundle.is_file():
        raise UsageError(f"{path}: no such bundle file")
    result = BundleVerification(str(path))
    try:
        zf = zipfile.ZipFile(bundle)
    except (zipfile.BadZipFile, OSError) as err:
        result.add(
            str(path), "file", f"not a readable zip archive ({err}): damaged or not a bundle"
        )
        return result
    with zf:
        infos = zf.infolist()
        names = [i.filename for i in infos]
        for name, n in sorted(Counter(names).items()):
            if n > 1:
                result.add(name, "extra", f"the zip holds {n} members named {name}")
        statement = _signature(zf, set(names), result, public_key, fingerprint)
        if statement is None:
            return result
        digests = _files(bundle, zf, infos, statement, result, workers)
        _chain(zf, statement, digests, result)
    return result


def _read(zf: zipfile.ZipFile, name: str, result: BundleVerification) -> bytes | None:
    try:
        return zf.read(name)
    except KeyError:
        result.add(name, "missing", f"{name} is not in the bundle")
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as err:
        result.add(name, "file", f"{name} cannot be read from the zip: {err}")
    return None


def _signature(
    zf: zipfile.ZipFile,
    names: set[str],
    result: BundleVerification,
    public_key: PublicKey | None,
    fingerprint: str | None,
) -> dict[str, Any] | None:
    """The statement (parsed), after checking the envelope; None when there is none to use."""
    envelope = _read(zf, mf.ENVELOPE, result)
    if envelope is None:
        result.add(
            "signature", "signature", "the bundle has no signed manifest: it cannot be trusted"
        )
        return None
    key = public_key
    if key is None:
        embedded = _read(zf, mf.KEY, result) if mf.KEY in names else None
        key = public_key_from_pem(embedded) if embedded else None
        if key is None:
            result.add(mf.KEY, "key", "the bundle carries no usable public key; give --public-key")
            return None
        if fingerprint is not None:
            if key.fingerprint != fingerprint:
                result.add(
                    mf.KEY,
                    "key",
                    f"the bundle's key has fingerprint {key.fingerprint}, not the "
                    f"{fingerprint} you trust: it was signed by someone else",
                )
            else:
                result.trusted = True
    else:
        result.trusted = True
    check = verify_envelope(envelope, key)
    result.fingerprint = key.fingerprint
    if not check.ok:
        result.add("signature", "signature", f"{mf.ENVELOPE}: {check.problem}")
        if check.payload is None:
            return None
    if check.payload_type != "application/vnd.in-toto+json":
        result.add(mf.ENVELOPE, "manifest", f"payload type {check.payload_type!r} is not in-toto's")
    payload = check.payload or b""
    plain = _read(zf, mf.MANIFEST, result) if mf.MANIFEST in names else None
    if mf.MANIFEST not in names:
        result.add(mf.MANIFEST, "missing", f"{mf.MANIFEST} is not in the bundle")
    elif plain is not None and plain != payload:
        result.add(mf.MANIFEST, "manifest", f"{mf.MANIFEST} is not the statement that was signed")
    try:
        statement = orjson.loads(payload)
        assert isinstance(statement, dict)
        subjects = statement["subject"]
        assert isinstance(subjects, list)
        for s in subjects:
            assert isinstance(s["name"], str) and isinstance(s["digest"]["sha256"], str)
        assert isinstance(statement["predicate"]["chain"], dict)
    except (orjson.JSONDecodeError, AssertionError, KeyError, TypeError):
        result.add(mf.MANIFEST, "manifest", "the signed payload is not a dxguard export statement")
        return None
    if statement.get("_type") != mf.STATEMENT_TYPE or statement.get("predicateType") != (
        mf.PREDICATE_TYPE
    ):
        result.add(
            mf.MANIFEST,
            "manifest",
            f"the statement is {statement.get('_type')} / {statement.get('predicateType')}, not "
            "a dxguard export (in-toto Statement v1, " + mf.PREDICATE_TYPE + ")",
        )
    result.period = statement["predicate"].get("period", {})
    result.chain = statement["predicate"]["chain"]
    return statement


def _hash_members(bundle: Path, names: list[str]) -> dict[str, tuple[str | None, str | None]]:
    out: dict[str, tuple[str | None, str | None]] = {}
    with zipfile.ZipFile(bundle) as zf:  # one handle per thread: no shared file position
        for name in names:
            try:
                data = zf.read(name)
            except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as err:
                out[name] = (None, f"cannot be read from the zip ({err}): damaged")
                continue
            out[name] = (hashlib.sha256(data).hexdigest(), None)
    return out


def _files(
    bundle: Path,
    zf: zipfile.ZipFile,
    infos: list[zipfile.ZipInfo],
    statement: dict[str, Any],
    result: BundleVerification,
    workers: int,
) -> dict[str, str]:
    """name → digest of every subject found intact."""
    wanted = {s["name"]: s["digest"]["sha256"] for s in statement["subject"]}
    present = {i.filename for i in infos}
    for name in sorted(present - set(wanted) - set(mf.UNSIGNED)):
        result.add(name, "extra", f"{name} is in the bundle but not in the signed manifest")
    for name in sorted(set(wanted) - present):
        result.add(name, "missing", f"{name} is named in the signed manifest but not in the bundle")
    todo = sorted(set(wanted) & present)
    shares = [todo[i :: max(1, workers)] for i in range(max(1, workers))]
    found: dict[str, tuple[str | None, str | None]] = {}
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for part in pool.map(lambda names: _hash_members(bundle, names), shares):
            found.update(part)
    ok: dict[str, str] = {}
    for name in sorted(found):
        digest, bad = found[name]
        if bad:
            result.add(name, "file", f"{name} {bad}")
        elif digest != wanted[name]:
            result.add(
                name,
                "file",
                f"{name} was altered: it hashes to {digest[:16]}…, the signed manifest says "
                f"{wanted[name][:16]}…",
            )
        else:
            ok[name] = digest  # type: ignore[assignment]
    result.files = len(ok)
    return ok


def _chain(
    zf: zipfile.ZipFile,
    statement: dict[str, Any],
    digests: dict[str, str],
    result: BundleVerification,
) -> None:
    pred = statement["predicate"]
    chain = pred["chain"]
    data = _read(zf, mf.RECORDS, result)
    if data is None:
        return
    first = int(chain.get("first", {}).get("seq", 0))
    last = int(chain.get("last", {}).get("seq", 0))
    expected_seq, prev_hash = first, chain.get("first", {}).get("prev")
    prev_time = ""
    hashes: dict[int, str] = {}
    runs: dict[int, dict[str, Any]] = {}
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    for n, line in enumerate(lines, 1):
        where = f"{mf.RECORDS} line {n}"
        try:
            doc = orjson.loads(line)
            seq, kind, at, prev = doc["seq"], doc["kind"], doc["recorded_at"], doc["prev"]
            stub = "excluded" in doc
            digest = doc["hash"] if stub else hashlib.sha256(line).hexdigest()
        except (orjson.JSONDecodeError, KeyError, TypeError):
            result.add(where, "chain", f"{where} is not a record")
            expected_seq += 1
            prev_hash = None
            continue
        label = f"record {seq}"
        if seq != expected_seq:
            if isinstance(seq, int) and seq > expected_seq:
                gone = (
                    f"record {expected_seq} is"
                    if seq == expected_seq + 1
                    else (f"records {expected_seq}–{seq - 1} are")
                )
                result.add(
                    label,
                    "chain",
                    f"{gone} missing: {mf.RECORDS} jumps from record {expected_seq - 1} to "
                    f"{seq} (line {n})",
                )
            else:
                result.add(
                    label,
                    "chain",
                    f"record {seq} is out of order (line {n}, where record "
                    f"{expected_seq} belongs): records were reordered",
                )
        if prev_hash is not None and prev != prev_hash:
            result.add(
                label,
                "chain",
                f"record {seq} (line {n}) does not follow the record before it: it names "
                f"{str(prev)[:16]}… as the previous hash, but that record hashes to "
                f"{prev_hash[:16]}… (a record was removed, replaced, reordered or spliced in "
                "from another store)",
            )
        if at < prev_time:
            result.add(
                label,
                "chain",
                f"record {seq} was recorded at {at}, before the record preceding "
                f"it ({prev_time}): records were reordered",
            )
        prev_time = max(prev_time, at)
        if isinstance(seq, int):
            hashes[seq] = digest
            expected_seq = seq + 1
        prev_hash = digest
        if not stub:
            _record_files(doc, digests, result, label)
            if kind in REPORT_KINDS and "report" in doc.get("blobs", {}):
                runs[seq] = doc
    result.records = len(lines)
    if expected_seq != last + 1:
        result.add(
            mf.RECORDS,
            "chain",
            f"the signed chain ends at record {last}, but {mf.RECORDS} ends at record "
            f"{expected_seq - 1}",
        )
    if len(lines) != chain.get("records"):
        result.add(
            mf.RECORDS,
            "chain",
            f"{mf.RECORDS} holds {len(lines)} records; the signed manifest says "
            f"{chain.get('records')}",
        )
    if hashes.get(last) != chain.get("last", {}).get("hash"):
        result.add(
            f"record {last}",
            "chain",
            f"record {last} should hash to {str(chain.get('last', {}).get('hash'))[:16]}… (the "
            f"signed last hash), but "
            + (f"it hashes to {hashes[last][:16]}…" if last in hashes else "it is not there"),
        )
    listed = {int(r["seq"]): r for r in pred.get("runs", [])}
    for seq in sorted(set(runs) - set(listed)):
        result.add(f"record {seq}", "run", f"run record {seq} is not among the signed runs")
    for seq, r in sorted(listed.items()):
        if seq not in runs:
            result.add(f"record {seq}", "run", f"the signed run {seq} is not in {mf.RECORDS}")
        elif hashes.get(seq) != r.get("hash"):
            result.add(f"record {seq}", "run", f"run {seq} is not the run the manifest signed")
    result.runs = len(runs)


def _record_files(
    doc: dict[str, Any],
    digests: dict[str, str],
    result: BundleVerification,
    label: str,
) -> None:
    seq, kind, blobs = doc["seq"], doc["kind"], doc.get("blobs", {})
    if kind in REPORT_KINDS and "report" in blobs:
        path = mf.report_path(seq)
        _names(path, blobs["report"]["sha256"], digests, result, label, "report")
    elif kind == "evidence" and "file" in blobs:
        meta = doc.get("meta", {})
        path = mf.evidence_path(seq, str(meta.get("file", {}).get("name", "")))
        _names(path, blobs["file"]["sha256"], digests, result, label, "evidence document")


def _names(
    path: str,
    want: str,
    digests: dict[str, str],
    result: BundleVerification,
    label: str,
    what: str,
) -> None:
    have = digests.get(path)
    if have is None:
        if not any(p.where == path for p in result.problems):
            result.add(path, "missing", f"{label}'s {what} ({path}) is not in the bundle")
    elif have != want:
        result.add(
            path,
            "run",
            f"{path} is not the {what} {label} names (sha256 {want[:16]}…): it hashes to "
            f"{have[:16]}…",
        )
