"""`dxguard export`, `dxguard verify` and `dxguard keygen`: thin front doors (registered in
checker/cli.py) onto checker/export/ and checker/signing.py. They parse options, call the
library and print; errors are DxguardErrors, which the main group turns into exit 2.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any

import click

from checker.store.commands import STORE_HELP

KEY_ENV = "DXGUARD_EXPORT_KEY"


def _passphrase(variable: str | None) -> bytes | None:
    from checker.errors import UsageError

    if not variable:
        return None
    value = os.environ.get(variable)
    if value is None:
        raise UsageError(
            f"--passphrase-env {variable}: the variable is not set",
            hint=f"export {variable}=… (from your secret store) before running dxguard",
        )
    if not value:
        raise UsageError(f"--passphrase-env {variable}: the variable is empty")
    return value.encode()


def _period(quarter: str | None, period: str | None, start: str | None, end: str | None) -> tuple:
    """(name, since, until) from the options, exactly one way of naming the period."""
    from datetime import date, timedelta

    from checker.errors import UsageError
    from checker.store.periods import period_bounds

    given = [n for n, v in (("--quarter", quarter), ("--period", period)) if v]
    if start or end:
        given.append("--from/--to")
    if len(given) != 1:
        raise UsageError(
            "name the period once: --quarter 2026Q3, --period 2026-07, or --from DATE --to DATE"
            + (f" (got {' and '.join(given)})" if given else ""),
        )
    if quarter:
        m = re.fullmatch(r"(\d{4})-?[Qq]([1-4])", quarter.strip())
        if not m:
            raise UsageError(f"--quarter {quarter!r} is not a quarter", hint="e.g. 2026Q3")
        name = f"{m.group(1)}-Q{m.group(2)}"
        return (name, *period_bounds(name))
    if period:
        return (period, *period_bounds(period))
    if not (start and end):
        raise UsageError(
            "--from and --to go together", hint="e.g. --from 2026-07-01 --to 2026-09-30"
        )
    until = end
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", end.strip()):  # a date: that whole day is included
        try:
            until = (date.fromisoformat(end.strip()) + timedelta(days=1)).isoformat()
        except ValueError:
            raise UsageError(f"--to {end!r} is not a date") from None
    since, until = period_bounds(f"{start}..{until}")
    return (f"{start}..{end}", since, until)


def _catalog_controls(config: Any, controls: tuple[str, ...]) -> list:
    from checker.export.period import ControlMeta
    from checker.store.commands import _frameworks

    return [
        ControlMeta(
            fw.id,
            c.id,
            c.title,
            c.evidence,
            c.evidence in ("manual", "partial"),
            tuple(c.evidence_to_attach),
        )
        for fw in _frameworks(config, controls)
        for c in fw.controls
    ]


@click.command()
@click.option("--quarter", metavar="YYYYQN", help="The quarter to export, e.g. 2026Q3 (UTC).")
@click.option(
    "--period",
    metavar="PERIOD",
    help="Or any period: a year (2026), month (2026-08), day, or FROM..TO (TO excluded).",
)
@click.option("--from", "start", metavar="DATE", help="Or from DATE (included) …")
@click.option("--to", "end", metavar="DATE", help="… to DATE (included; an ISO time: excluded).")
@click.option(
    "--scope",
    "--cluster",
    "scopes",
    multiple=True,
    metavar="NAME",
    help="Only the runs, audits and decisions of this scope: a repository or cluster "
    "(repeatable). Default: every scope.",
)
@click.option(
    "-f",
    "--framework",
    "frameworks",
    multiple=True,
    metavar="ID",
    help="Only these frameworks in the summary, OSCAL and manual evidence (repeatable). Run "
    "reports are included whole.",
)
@click.option(
    "--key",
    "key_path",
    metavar="FILE",
    envvar=KEY_ENV,
    show_envvar=True,
    required=True,
    help="The Ed25519 private key that signs the bundle (`dxguard keygen` makes one).",
)
@click.option(
    "--passphrase-env",
    metavar="VAR",
    help="The environment variable holding the key's passphrase, if it is encrypted.",
)
@click.option(
    "-o",
    "--output",
    metavar="FILE",
    help="Where to write the bundle. Default: dxguard-export-PERIOD.zip in this folder.",
)
@click.option(
    "--waiver-warning-days",
    type=click.IntRange(min=0),
    default=30,
    show_default=True,
    metavar="DAYS",
    help="List waivers that expire within DAYS after the period as expiring.",
)
@click.option("--controls", "controls", multiple=True, metavar="DIR", help="Also these catalogs.")
@click.option("-c", "--config", metavar="FILE", help="dxguard.yaml (its `store` and catalogs).")
@click.option("--store", "store_location", metavar="PATH|URL", help=STORE_HELP)
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="Worker processes reading the reports (default: one per CPU core).",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress or notes on stderr.")
def export(
    quarter: str | None,
    period: str | None,
    start: str | None,
    end: str | None,
    scopes: tuple[str, ...],
    frameworks: tuple[str, ...],
    key_path: str,
    passphrase_env: str | None,
    output: str | None,
    waiver_warning_days: int,
    controls: tuple[str, ...],
    config: str | None,
    store_location: str | None,
    jobs: int | None,
    quiet: bool,
) -> None:
    """Export a period's evidence as one signed bundle (zip) for an auditor.

    The bundle holds an HTML summary (control status over the period, drift by finding,
    controls that went from satisfied to not satisfied, waivers used, expired and expiring,
    manual evidence, the runs included), the period as JSON and as OSCAL assessment results,
    every run's report, the manual evidence documents, the store's records behind them, and a
    manifest of every file's SHA-256 signed as an in-toto Statement in a DSSE envelope.

    \b
      dxguard keygen -o qa-export                      once: qa-export.key and qa-export.pub
      dxguard export --quarter 2026Q3 --key qa-export.key
      dxguard export --from 2026-07-01 --to 2026-09-30 --cluster eu-prod --key qa-export.key
      dxguard verify dxguard-export-2026-Q3.zip --public-key qa-export.pub

    Exit codes: 0 written · 2 usage error, unreadable key or store, or a store whose chain is
    broken (nothing is written; `dxguard store verify` says where).
    """
    from checker.export.build import ExportRequest, export_bundle
    from checker.signing import Signer
    from checker.store.commands import _config, _open

    name, since, until = _period(quarter, period, start, end)
    signer = Signer(key_path, _passphrase(passphrase_env))  # a bad key: exit 2 before reading
    cfg = _config(config)
    catalog = _catalog_controls(cfg, controls)
    target = Path(output or f"dxguard-export-{re.sub(r'[^A-Za-z0-9.-]+', '_', name)}.zip")
    show = not quiet and sys.stderr.isatty()

    def progress(done: int, total: int) -> None:
        if show and (done == total or done % 100 == 0):
            click.echo(f"\rdxguard: reading reports {done:,}/{total:,}", nl=done == total, err=True)

    request = ExportRequest(name, since, until, scopes, frameworks, waiver_warning_days)
    with _open(store_location, cfg) as store:
        where = store.location.display
        result = export_bundle(
            store,
            request,
            signer,
            target,
            catalog_controls=catalog,
            progress=progress,
            processes=jobs or os.cpu_count() or 1,
        )
    p = result.period
    s = p.summary()
    if not quiet:
        for text in result.warnings:
            click.echo(f"dxguard: warning: {text}", err=True)
        click.echo(
            f"dxguard: exported {name} from {where}: {s['runs']:,} run(s), {s['audits']:,} "
            f"audit(s), {s['decisions']:,} decision(s), {s['evidence_documents']:,} evidence "
            f"document(s); records {result.chain['first']['seq']}–{result.chain['last']['seq']}"
            f"; {result.files:,} files, {result.size / 1e6:.1f} MB",
            err=True,
        )
        click.echo(
            f"dxguard: signed with key {signer.public.display}; the auditor checks it with "
            f"`dxguard verify {target} --public-key YOUR-KEY.pub`",
            err=True,
        )
    click.echo(str(target))


@click.command()
@click.argument("bundle", type=click.Path(dir_okay=False))
@click.option(
    "--public-key",
    "public_key",
    metavar="FILE",
    help="The public key you trust (received separately from the bundle).",
)
@click.option(
    "--fingerprint",
    metavar="HEX",
    help="Or the trusted key's fingerprint (64 hex digits, spaces allowed), checked against the "
    "key inside the bundle.",
)
@click.option(
    "--format", "fmt", type=click.Choice(("text", "json")), default="text", show_default=True
)
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=2,
    show_default=True,
    help="Threads reading the bundle's files.",
)
def verify(
    bundle: str, public_key: str | None, fingerprint: str | None, fmt: str, jobs: int
) -> None:
    """Verify an export bundle: its signature, every file's SHA-256 and the records' hash chain.

    Give the key you trust: --public-key FILE, or --fingerprint HEX for the key inside the
    bundle. Without either, the bundle can only be checked against itself, which anyone could
    have made, and the verdict is not "verified".

    \b
      dxguard verify dxguard-export-2026-Q3.zip --public-key qa-export.pub
      dxguard verify bundle.zip --fingerprint "0b2d f465 … 7c08" --format json

    Exit codes: 0 verified with the trusted key · 1 a problem (each printed with the file or
    record it concerns), or no trusted key given · 2 the bundle or key cannot be read.
    """
    import json

    from checker.errors import UsageError
    from checker.export.verify import verify_bundle
    from checker.signing import load_public_key

    if public_key and fingerprint:
        raise UsageError("give --public-key or --fingerprint, not both")
    wanted = None
    if fingerprint:
        wanted = re.sub(r"[\s:]", "", fingerprint).lower().removeprefix("sha256")
        if not re.fullmatch(r"[0-9a-f]{64}", wanted):
            raise UsageError(
                f"--fingerprint {fingerprint!r} is not 64 hex digits",
                hint="`dxguard keygen` printed it; spaces and colons are fine",
            )
    key = load_public_key(public_key) if public_key else None
    result = verify_bundle(bundle, public_key=key, fingerprint=wanted, workers=jobs)
    if fmt == "json":
        click.echo(json.dumps(result.to_json(), indent=2, sort_keys=True))
        sys.exit(0 if result.ok else 1)
    for p in result.problems:
        click.echo(f"{p.where}: {p.kind}: {p.what}")
    chain = result.chain
    span = (
        f"records {chain['first']['seq']}–{chain['last']['seq']}"
        if chain.get("first") and chain.get("last")
        else "no chain"
    )
    period = result.period.get("name", "?")
    if result.problems:
        click.echo(
            f"dxguard: {bundle}: NOT verified: {len(result.problems)} problem(s) "
            f"(period {period}, {span})",
            err=True,
        )
    elif not result.trusted:
        click.echo(
            f"dxguard: {bundle}: consistent, but signed by a key you have not named: "
            f"fingerprint {result.fingerprint}. Compare it with the fingerprint you were given "
            "and pass --fingerprint (or --public-key FILE); until then it is NOT verified",
            err=True,
        )
    else:
        click.echo(
            f"dxguard: {bundle}: verified — period {period}; signature by key "
            f"{result.fingerprint}; {result.files:,} files match the signed manifest; {span} "
            f"({result.records:,}) linked; {result.runs:,} run report(s) match their records",
            err=True,
        )
    sys.exit(0 if result.ok else 1)


@click.command()
@click.option(
    "-o",
    "--output",
    "prefix",
    default="dxguard-export",
    show_default=True,
    metavar="PREFIX",
    help="Write PREFIX.key (private, mode 0600) and PREFIX.pub.",
)
@click.option(
    "--passphrase-env",
    metavar="VAR",
    help="Encrypt the private key with the passphrase in this environment variable.",
)
@click.option("--force", is_flag=True, help="Overwrite existing key files.")
def keygen(prefix: str, passphrase_env: str | None, force: bool) -> None:
    """Make an Ed25519 key pair for signing exports, and print its fingerprint.

    Keep PREFIX.key secret (a secret store, or an encrypted file with --passphrase-env); hand
    PREFIX.pub, and the fingerprint printed here, to your auditors by a channel other than the
    bundle (e-mail the key, read the fingerprint out on a call). `dxguard verify` checks the
    bundle's signature against it.

    \b
      dxguard keygen -o qa-export
      QA_KEY_PASS=… dxguard keygen -o qa-export --passphrase-env QA_KEY_PASS
    """
    from checker.signing import generate, write_key_pair

    pair = generate(_passphrase(passphrase_env))
    private, public = Path(f"{prefix}.key"), Path(f"{prefix}.pub")
    write_key_pair(pair, private, public, force)
    click.echo(
        f"dxguard: wrote {private} (private: keep it secret) and {public} (public: give it "
        "to your auditors)",
        err=True,
    )
    click.echo(f"fingerprint: {pair.public.display}")
    click.echo(f"sha256:{pair.public.fingerprint}")


COMMANDS = (export, verify, keygen)
