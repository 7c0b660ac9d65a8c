"""The store's commands: `dxguard evidence …`, `dxguard store …` and `dxguard reproduce`.

Thin front doors (registered on the main group in checker/cli.py): they parse options, call
the store API and print. Errors are DxguardErrors, which the main group turns into exit 2.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click

STORE_HELP = (
    "The evidence store: a SQLite file or a postgresql://user@host/db URL. Default: "
    "$DXGUARD_STORE, else the config's `store`, else ~/.local/share/dxguard/evidence.sqlite."
)


def store_option(f: Any) -> Any:
    return click.option("--store", "store_location", metavar="PATH|URL", help=STORE_HELP)(f)


def _config(path: str | None) -> Any:
    from checker.config import load_config

    return load_config(path)


def _open(location: str | None, config: Any = None) -> Any:
    from checker.store import open_store

    return open_store(location, configured=config.store if config is not None else None)


def _echo_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False))


def _table(
    headers: list[str],
    rows: list[list[str]],
    *,
    fixed: tuple[str, ...] = (),
    ratios: dict[str, int] | None = None,
) -> None:
    """A terminal table: `fixed` columns never wrap; the others share the width by `ratios`."""
    from rich import box
    from rich.console import Console
    from rich.table import Table

    from checker.cli import _terminal_width

    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, expand=True)
    for h in headers:
        if h in fixed:
            table.add_column(h, no_wrap=True)
        else:
            table.add_column(h, overflow="fold", ratio=(ratios or {}).get(h, 1))
    for r in rows:
        table.add_row(*r)
    Console(width=_terminal_width(), highlight=False).print(table)


class Recorder:
    """`dxguard scan --record`: the store is opened in a thread while the scan runs (its
    imports and connection overlap OPA's work), `ready()` is awaited before any report is
    written (a store that cannot be opened fails the run with nothing written), and the run is
    appended once its report is rendered."""

    def __init__(self, location: str | None, config: str | None, scope: str | None, inputs: bool):
        import threading

        self.store: Any = None
        self.config = config
        self.scope = scope
        self.inputs = inputs
        self.stdin: bytes | None = None
        self._error: BaseException | None = None
        configured = _config(config) if config else None  # a bad config: exit 2 at once
        self._thread = threading.Thread(
            target=self._open, args=(location, configured), name="dxguard-store", daemon=True
        )
        self._thread.start()

    def _open(self, location: str | None, configured: Any) -> None:
        try:
            self.store = _open(location, configured)
        except BaseException as err:  # noqa: BLE001 - re-raised by ready()
            self._error = err

    def ready(self) -> None:
        """Wait for the store; raise its error (nothing has been written yet)."""
        self._thread.join()
        if self._error is not None:
            from checker.errors import DxguardError, StoreError

            err = self._error
            if isinstance(err, DxguardError):
                raise StoreError(f"{err.message}; no report was written", hint=err.hint)
            raise err

    def add_manual_evidence(self, report: Any) -> None:
        """Put the store's manual evidence, as of the report's as-of time, into the report."""
        from checker.store.evidence import report_section

        self.ready()
        report.manual_evidence = report_section(self.store, report)

    def close(self) -> None:
        if self.store is not None:
            self.store.close()

    def keep_stdin(self) -> Any:
        """Read standard input now, keep its bytes for the record, hand the scan a copy."""
        import io

        text = sys.stdin.read()
        self.stdin = text.encode("utf-8")
        return io.StringIO(text)

    def record(
        self, report: dict[str, Any], report_json: str | None, *, quiet: bool, **command: Any
    ) -> None:
        from checker.errors import StoreError
        from checker.report.json_format import json_text
        from checker.store.runs import ScanCommand, default_scope, record_run

        cmd = ScanCommand(
            paths=list(command["paths"]),
            frameworks=list(command["frameworks"]),
            config=self.config,
            waivers=command["waivers"],
            policies=list(command["policies"]),
            controls=list(command["controls"]),
            fail_on=command["fail_on"],
            waiver_warning_days=command["waiver_warning_days"],
            max_file_bytes=command["max_file_bytes"],
            opa_url=command["opa_url"],
        )
        self.ready()
        try:
            with self.store, _gc_paused():
                rec = record_run(
                    self.store,
                    report,
                    report_json if report_json is not None else json_text(report),
                    scope=self.scope or default_scope(),
                    command=cmd,
                    with_files=self.inputs,
                    stdin=self.stdin,
                )
        except StoreError as err:
            raise StoreError(
                f"the report was written, but the run was not recorded: {err.message}",
                hint=err.hint,
            ) from None
        if not quiet:
            click.echo(
                f"dxguard: recorded run {rec.seq} (sha256:{rec.hash[:16]}…, scope "
                f"{rec.meta['scope']}) in {self.store.location.display}"
                + (" with its inputs" if self.inputs else ""),
                err=True,
            )


def _gc_paused() -> Any:
    from checker.scan import gc_paused

    return gc_paused()


# -- dxguard evidence ------------------------------------------------------------------------


@click.group()
def evidence() -> None:
    """Manual evidence (SOPs, validation reports, training records) attached to controls.

    Controls marked `manual` or `partial` need documents that no check can read. Attach each
    to its control; the store keeps the file, its SHA-256, who attached it and the document's
    date in its hash chain.

    \b
      dxguard evidence attach "21 CFR 11.10(i)" training-2026.pdf --by "J. Doe" --date 2026-10-02
      dxguard evidence status                 every manual/partial control: attached or missing
      dxguard evidence list --format json
      dxguard evidence get 12 -o copy.pdf     a document back, checked against its digest
    """


def _catalog_options(f: Any) -> Any:
    f = click.option(
        "--controls",
        "controls",
        multiple=True,
        metavar="DIR",
        help="Also the catalogs in DIR (repeatable; also config `controls`).",
    )(f)
    f = click.option(
        "-c", "--config", metavar="FILE", help="dxguard.yaml: its catalogs and `store`."
    )(f)
    return f


def _frameworks(config: Any, controls: tuple[str, ...]) -> list:
    from checker.bundle import load_all_catalogs

    folders = list(dict.fromkeys([*config.control_dirs, *controls]))
    return load_all_catalogs(folders).frameworks


@evidence.command("attach")
@click.argument("control")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--by", required=True, metavar="NAME", help="Who attaches it (name, role).")
@click.option(
    "--date",
    "date_",
    required=True,
    metavar="YYYY-MM-DD",
    help="The document's date (signed, approved or issued); not in the future.",
)
@click.option(
    "-f",
    "--framework",
    metavar="ID",
    help="The framework, when the control id is in several catalogs.",
)
@click.option("--note", metavar="TEXT", help="A short note kept with it (e.g. the SOP number).")
@_catalog_options
@store_option
def evidence_attach(
    control: str,
    file: str,
    by: str,
    date_: str,
    framework: str | None,
    note: str | None,
    config: str | None,
    controls: tuple[str, ...],
    store_location: str | None,
) -> None:
    """Attach FILE as evidence for CONTROL (its id as `dxguard controls list` prints it).

    \b
      dxguard evidence attach "ISO 13485 6.2" training-records-q4.pdf \\
          --by "A. Quality (QA lead)" --date 2026-12-01 --note "SOP-HR-004 rev 7"
    """
    from checker.store.evidence import attach_evidence

    cfg = _config(config)
    frameworks = _frameworks(cfg, controls)
    with _open(store_location, cfg) as store:
        rec = attach_evidence(
            store,
            frameworks,
            control=control,
            file=file,
            by=by,
            date=date_,
            framework=framework,
            note=note,
        )
        where = store.location.display
    m = rec.meta
    click.echo(
        f"dxguard: attached {m['file']['name']} (sha256:{m['file']['sha256'][:16]}…) to "
        f"{m['control']} [{m['framework']}] as record {rec.seq} in {where}",
        err=True,
    )
    if m["evidence_kind"] == "automated":
        click.echo(
            f"dxguard: note: {m['control']} is an automated control; its checks give its "
            "evidence, and the document is kept beside them",
            err=True,
        )
    click.echo(rec.seq)


@evidence.command("list")
@click.option("-f", "--framework", metavar="ID", help="Only this framework.")
@click.option("--control", metavar="ID", help="Only this control.")
@click.option(
    "--format", "fmt", type=click.Choice(("table", "json")), default="table", show_default=True
)
@store_option
@click.option("-c", "--config", metavar="FILE", help="dxguard.yaml (for its `store`).")
def evidence_list(
    framework: str | None,
    control: str | None,
    fmt: str,
    store_location: str | None,
    config: str | None,
) -> None:
    """List attached evidence: record, control, file, digest, by whom and the date."""
    from checker.store.evidence import evidence_records

    with _open(store_location, _config(config)) as store:
        found = evidence_records(store, framework=framework, control=control)
    if fmt == "json":
        _echo_json([e.to_json() for e in found])
        return
    if not found:
        click.echo("no evidence attached", err=True)
        return
    _table(
        ["Record", "Framework", "Control", "File", "SHA-256", "By", "Date", "Note"],
        [
            [
                str(e.seq),
                e.framework,
                e.control,
                e.file_name,
                e.sha256[:12],
                e.by,
                e.date,
                e.note or "",
            ]
            for e in found
        ],
    )


@evidence.command("status")
@click.option("-f", "--framework", "frameworks", multiple=True, metavar="ID", help="Only these.")
@click.option(
    "--as-of", metavar="DATE", help="Count documents dated on or before DATE. Default: today."
)
@click.option(
    "--format", "fmt", type=click.Choice(("table", "json")), default="table", show_default=True
)
@click.option("--missing", is_flag=True, help="Only the controls that still lack evidence.")
@_catalog_options
@store_option
def evidence_status(
    frameworks: tuple[str, ...],
    as_of: str | None,
    fmt: str,
    missing: bool,
    config: str | None,
    controls: tuple[str, ...],
    store_location: str | None,
) -> None:
    """Every control that needs manual evidence (manual or partial): attached, or missing.

    Exit code 1 when a control still lacks evidence, so a pipeline can gate on it.
    """
    from checker.controls import select_frameworks
    from checker.scan import parse_as_of
    from checker.store.evidence import control_evidence, evidence_records

    cfg = _config(config)
    selected = select_frameworks(_frameworks(cfg, controls), list(frameworks))
    day = parse_as_of(as_of)
    with _open(store_location, cfg) as store:
        found = evidence_records(store, as_of=day)
    rows = control_evidence(selected, found)
    if missing:
        rows = [r for r in rows if r.status == "missing"]
    if fmt == "json":
        _echo_json([r.to_json() for r in rows])
    else:
        _table(
            ["Framework", "Control", "Kind", "Status", "Latest document, or what is expected"],
            [[r.framework, r.control, r.evidence_kind, r.status, _documents(r)] for r in rows],
            fixed=("Kind", "Status"),
            ratios={"Framework": 1, "Control": 2, "Latest document, or what is expected": 3},
        )
        lacking = sum(1 for r in rows if r.status == "missing")
        click.echo(f"dxguard: {lacking} control(s) still lack manual evidence", err=True)
    sys.exit(1 if any(r.status == "missing" for r in rows) else 0)


def _documents(row: Any) -> str:
    if row.attached:
        latest = row.attached[0]
        more = f" (+{len(row.attached) - 1} earlier)" if len(row.attached) > 1 else ""
        return f"{latest.file_name}, {latest.date}, {latest.by}; record {latest.seq}{more}"
    return ("expected: " + "; ".join(row.expected)) if row.expected else "—"


@evidence.command("get")
@click.argument("record")
@click.option("-o", "--output", metavar="FILE", required=True, help="Where to write the file.")
@store_option
@click.option("-c", "--config", metavar="FILE", help="dxguard.yaml (for its `store`).")
def evidence_get(record: str, output: str, store_location: str | None, config: str | None) -> None:
    """Write an attached document back out (checked against its SHA-256 first)."""
    from pathlib import Path

    from checker.store.evidence import evidence_file

    with _open(store_location, _config(config)) as store:
        ev, data = evidence_file(store, record)
    Path(output).write_bytes(data)
    click.echo(
        f"dxguard: wrote {output}: {ev.file_name} for {ev.control} [{ev.framework}], "
        f"sha256:{ev.sha256}",
        err=True,
    )


# -- dxguard store ---------------------------------------------------------------------------


@click.group("store")
def store_group() -> None:
    """The evidence store: list its records, show one, verify its hash chain.

    Runs (`dxguard scan --record`), webhook decisions and attached evidence are appended to
    one hash chain. See docs/evidence-store.md.
    """


@store_group.command("list")
@click.option("--kind", "kinds", multiple=True, metavar="KIND", help="run, evidence, decision…")
@click.option("--scope", metavar="NAME", help="Only runs of this scope.")
@click.option("--period", metavar="PERIOD", help="Recorded in e.g. 2026-Q4, 2026-11, or A..B.")
@click.option(
    "--format", "fmt", type=click.Choice(("table", "json")), default="table", show_default=True
)
@store_option
@click.option("-c", "--config", metavar="FILE", help="dxguard.yaml (for its `store`).")
def store_list(
    kinds: tuple[str, ...],
    scope: str | None,
    period: str | None,
    fmt: str,
    store_location: str | None,
    config: str | None,
) -> None:
    """List records: number, kind, time, scope and a summary."""
    from checker.store.periods import period_bounds

    since, until = period_bounds(period) if period else (None, None)
    with _open(store_location, _config(config)) as store:
        recs = list(store.records(kinds=kinds or None, scope=scope, since=since, until=until))
    if fmt == "json":
        _echo_json([r.to_json() for r in recs])
        return
    _table(
        ["Record", "Kind", "Recorded (UTC)", "Scope", "Summary", "Hash"],
        [
            [
                str(r.seq),
                r.kind,
                r.recorded_at[:16].replace("T", " "),
                r.scope or "",
                _summary(r),
                r.hash[:12],
            ]
            for r in recs
        ],
        fixed=("Record", "Kind", "Recorded (UTC)", "Hash"),
        ratios={"Scope": 1, "Summary": 3},
    )


def _summary(rec: Any) -> str:
    m = rec.meta
    if rec.kind == "run":
        s = m.get("summary", {})
        text = (
            f"{m.get('result')}: {s.get('findings', 0)} findings, as of {m.get('as_of', '')[:10]}"
        )
        return text + (", inputs kept" if m.get("reproducible") else "")
    if rec.kind == "evidence":
        return f"{m.get('control')} [{m.get('framework')}]: {m['file']['name']} by {m.get('by')}"
    return ", ".join(f"{k}={v}" for k, v in sorted(m.items()) if isinstance(v, str | int | bool))[
        :80
    ]


@store_group.command("show")
@click.argument("record")
@click.option("--report", "show_report", is_flag=True, help="Print the run's JSON report.")
@store_option
@click.option("-c", "--config", metavar="FILE", help="dxguard.yaml (for its `store`).")
def store_show(
    record: str, show_report: bool, store_location: str | None, config: str | None
) -> None:
    """Print a record (its envelope and hash) by number or hash prefix, or a run's report."""
    from checker.errors import StoreError

    data = None
    with _open(store_location, _config(config)) as store:
        rec = store.find(record)
        if show_report:
            if "report" not in rec.blobs:
                raise StoreError(f"record {rec.seq} ({rec.kind}) holds no report")
            data = store.blob(rec.blobs["report"])
    if data is not None:
        click.echo(data.decode(), nl=False)
        return
    _echo_json(rec.to_json())


@store_group.command("drift")
@click.argument("period")
@click.option("--scope", metavar="NAME", help="Only this scope (default: each scope in turn).")
@click.option(
    "--format", "fmt", type=click.Choice(("table", "json")), default="table", show_default=True
)
@store_option
@click.option("-c", "--config", metavar="FILE", help="dxguard.yaml (for its `store`).")
def store_drift(
    period: str, scope: str | None, fmt: str, store_location: str | None, config: str | None
) -> None:
    """Findings that appeared, stayed open, regressed or were resolved in PERIOD.

    PERIOD is a quarter (2026-Q4), a month (2026-11), a year, a day, or FROM..TO. Runs are
    compared within their scope, by each finding's stable identity: new (never seen before),
    regressed (seen before, resolved, back), still-open (open throughout), resolved (gone by
    the period's last run).

    \b
      dxguard store drift 2026-Q4
      dxguard store drift 2026-10-01..2026-11-15 --scope payments-repo --format json
    """
    from checker.store.drift import drift
    from checker.store.periods import period_bounds

    since, until = period_bounds(period)
    with _open(store_location, _config(config)) as store:
        results = drift(store, since, until, scope=scope)
    if fmt == "json":
        _echo_json([d.to_json() for d in results])
        return
    if not results:
        click.echo(f"dxguard: no runs recorded in {period}", err=True)
        return
    for d in results:
        counts = d.counts()
        click.echo(
            f"{d.scope or '(no scope)'}: {len(d.runs)} run(s) in {period}"
            + (f", compared with run {d.baseline} before it" if d.baseline else "")
            + ": "
            + ", ".join(f"{n} {state}" for state, n in counts.items())
        )
        _table(
            ["State", "Finding", "Check", "Resource", "Since run"],
            [[e.state, e.finding_id, e.check, e.resource, str(e.first_seen[0])] for e in d.entries],
            fixed=("State", "Finding", "Check", "Since run"),
        )


@store_group.command("verify")
@click.option("--no-blobs", is_flag=True, help="Check hashes and links only (faster).")
@click.option(
    "--anchor",
    metavar="SEQ:HASH",
    help="A record's hash known from elsewhere (a signed export); proves the chain up to it "
    "was not rewritten.",
)
@click.option(
    "--format", "fmt", type=click.Choice(("text", "json")), default="text", show_default=True
)
@store_option
@click.option("-c", "--config", metavar="FILE", help="dxguard.yaml (for its `store`).")
def store_verify(
    no_blobs: bool, anchor: str | None, fmt: str, store_location: str | None, config: str | None
) -> None:
    """Verify the hash chain: every record's hash, every link, every blob, the findings index.

    Exit 0 intact, 1 a problem found (each named by record), 2 the store cannot be read.
    """
    from checker.errors import UsageError

    pinned = None
    if anchor:
        seq, _, digest = anchor.partition(":")
        if not seq.isdigit() or len(digest) != 64:
            raise UsageError(f"--anchor {anchor!r} is not SEQ:HASH (a number and 64 hex digits)")
        pinned = (int(seq), digest.lower())
    with _open(store_location, _config(config)) as store:
        result = store.verify_chain(check_blobs=not no_blobs, anchor=pinned)
        where = store.location.display
    if fmt == "json":
        _echo_json(result.to_json())
    else:
        for p in result.problems:
            click.echo(f"{p.kind}: {p.what}")
        seq, digest = result.head
        verdict = "intact" if result.ok else f"NOT intact: {len(result.problems)} problem(s)"
        click.echo(
            f"dxguard: {where}: {result.records} record(s), {result.blobs} blob(s) checked; "
            f"head {seq} sha256:{digest}; chain {verdict}",
            err=True,
        )
    sys.exit(0 if result.ok else 1)


# -- dxguard reproduce -----------------------------------------------------------------------


@click.command()
@click.argument("run")
@click.option(
    "--policy-dir",
    metavar="DIR",
    help="The rego/ folder of the bundle the run used, when the run did not record its "
    "bundle (an --opa-url run) or to evaluate with a copy of it.",
)
@click.option("--opa-binary", metavar="PATH", help="OPA binary to run.")
@click.option(
    "--format", "fmt", type=click.Choice(("text", "json")), default="text", show_default=True
)
@store_option
@click.option("-c", "--config", metavar="FILE", help="dxguard.yaml (for its `store`).")
def reproduce(
    run: str,
    policy_dir: str | None,
    opa_binary: str | None,
    fmt: str,
    store_location: str | None,
    config: str | None,
) -> None:
    """Re-evaluate a recorded run and compare its verdicts with the recorded ones.

    RUN is a run's record number or hash prefix (`dxguard store list --kind run`). The run
    must have been recorded with its inputs (`dxguard scan --record-inputs`). Its inputs,
    config, waivers, custom checks and catalogs and dxguard's own bundle and catalogs are
    laid out again and scanned at the recorded as-of time; the bundle digest must match.

    Exit codes: 0 identical verdicts · 1 differences (listed) · 2 the run cannot be
    re-evaluated (no recorded inputs, another bundle, an error).
    """
    from checker.store.reproduce import reproduce as run_again

    with _open(store_location, _config(config)) as store:
        result = run_again(store, run, policy_dir=policy_dir, opa_binary=opa_binary)
    if fmt == "json":
        _echo_json(result.to_json())
    else:
        info = result.to_json()
        for line in result.differences:
            click.echo(line)
        click.echo(
            f"dxguard: run {result.record.seq} re-evaluated as of {info['as_of']} with bundle "
            f"sha256:{info['bundle_sha256'][:16]}…: "
            + ("identical verdicts" if result.same else f"{len(result.differences)} difference(s)"),
            err=True,
        )
    sys.exit(0 if result.same else 1)


COMMANDS = (evidence, store_group, reproduce)
