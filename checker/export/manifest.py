"""What the bundle holds, by name, and its signed manifest: an in-toto Statement (v1) whose
subjects are every file of the bundle with its SHA-256, and whose predicate says what was
exported (period, filters, the chain segment and its last hash, the signing key). Pure.

The Statement is `manifest.json`; `manifest.dsse.json` is the same bytes signed in a DSSE
envelope (payload type application/vnd.in-toto+json), so in-toto and DSSE tooling read it as
any attestation. `SHA256SUMS` lists the same digests in the form `sha256sum -c` checks.
"""

from __future__ import annotations

from typing import Any

import orjson

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "urn:dxguard:predicate:evidence-export:v1"
FORMAT = "dxguard-export/1"

MANIFEST = "manifest.json"
ENVELOPE = "manifest.dsse.json"
SUMS = "SHA256SUMS"
RECORDS = "records.jsonl"
PERIOD = "period.json"
OSCAL = "assessment-results.json"
SUMMARY = "summary.html"
README = "README.txt"
KEY = "signing-key.pub"
# Not subjects of the statement: the statement itself and its signature.
UNSIGNED = (MANIFEST, ENVELOPE)


def report_path(seq: int) -> str:
    return f"runs/{seq:08d}/report.json"


def evidence_path(seq: int, file_name: str) -> str:
    safe = "".join(ch if ch.isprintable() and ch not in '/\\:*?"<>|' else "_" for ch in file_name)
    safe = safe.strip(" .") or "document"
    return f"evidence/{seq:08d}/{safe}"


def sha256sums(digests: dict[str, str]) -> bytes:
    """`sha256sum -c` input: one '<hex>  <name>' line per file, by name."""
    return "".join(f"{digests[name]}  {name}\n" for name in sorted(digests)).encode()


def statement(digests: dict[str, str], predicate: dict[str, Any]) -> bytes:
    """The in-toto Statement (pretty, sorted keys: the same files give the same bytes)."""
    doc = {
        "_type": STATEMENT_TYPE,
        "subject": [{"name": n, "digest": {"sha256": digests[n]}} for n in sorted(digests)],
        "predicateType": PREDICATE_TYPE,
        "predicate": {"format": FORMAT, **predicate},
    }
    return orjson.dumps(doc, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"


def readme(period_name: str, fingerprint: str) -> bytes:
    return f"""dxguard evidence export: {period_name}
==========================================================

summary.html              the period for people: control status, drift, waivers, manual
                          evidence, the runs included (open it once the bundle is unzipped)
period.json               the same, for machines (format dxguard-period/1)
assessment-results.json   the period as NIST OSCAL 1.1.2 assessment results
runs/NNNNNNNN/report.json each included run's JSON report, as the evidence store recorded it
evidence/NNNNNNNN/…       the manual evidence documents (SOPs, validation reports, records)
records.jsonl             the evidence store's records behind all of it, one per line, each
                          the RFC 8785 JSON whose SHA-256 the next record names as "prev"
SHA256SUMS                every file's SHA-256 (sha256sum -c SHA256SUMS)
manifest.json             an in-toto Statement: every file above with its SHA-256
manifest.dsse.json        manifest.json signed (DSSE envelope, Ed25519)
signing-key.pub           the public key that signed it

Signed by the Ed25519 key with fingerprint (SHA-256 of the public key, DER):

    {fingerprint}

Trust the key you were given separately, never the copy in this bundle. Check it with
`openssl pkey -pubin -in KEY.pub -outform DER | sha256sum`, then:

    dxguard verify THIS-BUNDLE.zip --public-key KEY.pub

checks the signature, every file's digest and the records' hash chain. Without dxguard, any
DSSE implementation verifies manifest.dsse.json (PAE: "DSSEv1 <len(type)> <type> <len(payload)>
<payload>", signed with Ed25519), and sha256sum -c SHA256SUMS checks the files.
""".encode()
