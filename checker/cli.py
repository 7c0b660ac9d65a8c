"""The `dxguard` command: a thin front door onto the scan pipeline (checker.scan).

It parses options, renders what the pipeline returns and maps outcomes to exit codes:
0 the report's verdict is pass · 1 it is fail (an unwaived failure at or above --fail-on, or a
lapsed waiver) · 2 usage, input, catalog, config, waiver or engine error. No check, mapping or
verdict logic lives here.
"""

from __future__ import annotations

import atexit
import json
import os
import stat
import sys
import tempfile
from pathlib import Path
from typing import Any, NoReturn

import click

from checker import __version__
from checker.config import Config
from checker.errors import DxguardError, UsageError
from checker.loaders import DEFAULT_MAX_FILE_BYTES
from checker.store.commands import STORE_HELP

EXIT_OK, EXIT_FAIL, EXIT_ERROR = 0, 1, 2

FORMATS = ("table", "json")
# Output formats of `dxguard scan` (checker/report/render.py renders each; a test keeps the two
# lists equal). Kept literal here so the CLI starts without importing every renderer.
SCAN_FORMATS = ("table", "json", "html", "markdown", "sarif", "junit", "oscal", "github")
FAIL_ON = ("low", "medium", "high", "critical", "none")


def _fail(err: DxguardError) -> None:
    click.echo(f"dxguard: {err.kind}: {err}", err=True)
    sys.exit(err.exit_code)


def _write(text: str | list[bytes], output: str | None) -> None:
    """stdout, or the file atomically: a report is complete or absent, never half-written.

    `text` is a str, or UTF-8 byte strings written one after the other (a large JSON report,
    written as it was rendered, never copied)."""
    if output is None or output == "-":
        if isinstance(text, str):
            click.echo(text, nl=False)
        else:
            for part in text:
                click.echo(part, nl=False)
        return
    target = Path(output)
    if target.is_symlink():
        target = target.resolve()  # write where the link points; the link stays
    try:
        mode = target.stat().st_mode
    except OSError:
        mode = None
    if mode is not None and not stat.S_ISREG(mode):
        # A device, FIFO or socket (-o /dev/null, -o /dev/stderr, a pipe): written to as it is,
        # never replaced by a file.
        if stat.S_ISDIR(mode):
            raise UsageError(f"-o {output}: is a folder", hint="name a file, e.g. report.html")
        with open(target, "wb") as fh:
            _write_to(fh, text)
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # a report is meant to be shared: not mkstemp's private 0600
    try:
        with os.fdopen(fd, "wb") as fh:
            _write_to(fh, text)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write_to(fh: Any, text: str | list[bytes]) -> None:
    for part in [text.encode()] if isinstance(text, str) else text:
        fh.write(part)


# The format a file name implies (longest suffix first), for --output FILE without FORMAT=.
FILE_FORMATS = (
    (".sarif.json", "sarif"),
    (".sarif", "sarif"),
    (".json", "json"),
    (".html", "html"),
    (".htm", "html"),
    (".md", "markdown"),
    (".markdown", "markdown"),
    (".xml", "junit"),
    (".txt", "table"),
    (".log", "table"),
)
# Formats a file name cannot tell apart from the one it implies (OSCAL is JSON too).
SAME_SUFFIX = {("json", "oscal")}


def format_of_file(path: str) -> str | None:
    name = path.lower()
    return next((fmt for suffix, fmt in FILE_FORMATS if name.endswith(suffix)), None)


def plan_outputs(
    formats: tuple[str, ...], outputs: tuple[str, ...]
) -> list[tuple[str, str | None]]:
    """(format, file or None for stdout) for each requested format, in a stable order.

    --output FILE goes with the only format; without --format, the file name's extension says
    which (report.sarif → sarif), and a name that says nothing, or a different format than
    --format asks for, is refused rather than filled with the wrong format. --output
    FORMAT=FILE names its format (and asks for it). At most one format can go to stdout, and
    two formats never share a file.
    """
    from checker.errors import UsageError

    wanted = list(dict.fromkeys(formats))
    files: dict[str, str] = {}
    plain: list[str] = []
    for out in outputs:
        name, sep, path = out.partition("=")
        if sep and name in SCAN_FORMATS:
            if not path:
                raise UsageError(f"--output {out}: no file after '='")
            if name in files and files[name] != path:
                raise UsageError(f"--output names two files for format {name}")
            files[name] = path
            if name not in wanted:
                wanted.append(name)
        else:
            plain.append(out)
    if plain:
        path = plain[0]
        implied = format_of_file(path) if path != "-" else None
        if not wanted and len(plain) == 1 and not files:
            if path != "-" and implied is None:
                raise UsageError(
                    f"--output {path}: the file name does not say which format to write",
                    hint=f"name the format: --output sarif={path} (or json, html, markdown, "
                    "junit, oscal, table, github), or give --format",
                )
            wanted = [implied or "table"]
        if len(plain) > 1 or len(wanted) != 1 or files:
            raise UsageError(
                "with several formats or outputs, say which file is which format",
                hint="e.g. --format table --output sarif=dxguard.sarif --output html=evidence.html",
            )
        if implied and implied != wanted[0] and (implied, wanted[0]) not in SAME_SUFFIX:
            raise UsageError(
                f"--output {path} looks like a {implied} file, but --format asks for {wanted[0]}",
                hint=f"write --output {wanted[0]}={path} if you mean it, or rename the file",
            )
        files[wanted[0]] = path
    if not wanted:
        wanted = ["table"]
    to_stdout = [f for f in wanted if f not in files or files[f] == "-"]
    if len(to_stdout) > 1:
        raise UsageError(
            f"formats {', '.join(to_stdout)} would all go to stdout; give each but one a file",
            hint="e.g. --format table --output json=evidence.json",
        )
    paths = [files[f] for f in wanted if f in files and files[f] != "-"]
    for p in paths:
        if paths.count(p) > 1:
            raise UsageError(f"--output {p} is given for two formats; use one file per format")
    return [(f, files.get(f) if files.get(f) != "-" else None) for f in wanted]


def _terminal_width() -> int:
    """The terminal's width (at most 120), or COLUMNS when set, else 80."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit():
        return max(60, int(columns))
    try:
        return max(60, min(os.get_terminal_size(sys.stdout.fileno()).columns, 120))
    except OSError:
        return 80


class _Group(click.Group):
    """Turn DxguardError and Ctrl-C into clear messages and exit codes everywhere."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except DxguardError as err:
            _fail(err)
        except KeyboardInterrupt:
            click.echo("dxguard: interrupted; no report was written", err=True)
            sys.exit(130)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception as err:  # noqa: BLE001 - a bug must never read as a verdict
            click.echo(
                f"dxguard: internal error: {type(err).__name__}: {err}\n"
                "  no report was written; this is a bug in dxguard — please report it with the "
                "command line (set DXGUARD_DEBUG=1 for the traceback)",
                err=True,
            )
            if os.environ.get("DXGUARD_DEBUG"):
                import traceback

                traceback.print_exc()
            sys.exit(EXIT_ERROR)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="dxguard", message="%(prog)s %(version)s")
def cli() -> None:
    """dxguard — compliance evidence for clinical AI infrastructure.

    Evaluates Kubernetes manifests, VM templates and container image evidence with Rego checks
    on the real OPA and reports, control by control, evidence for six frameworks:

    \b
      fda-samd        FDA SaMD (21 CFR 820/QMSR, Part 11, FD&C 524B)
      eu-ivdr         EU IVDR 2017/746 Annex I
      iso-13485       ISO 13485:2016
      iec-62304       IEC 62304 (software life cycle)
      iec-81001-5-1   IEC 81001-5-1 (health software security)
      eu-ai-act       EU AI Act (high-risk AI systems)

    \b
    Typical use:
      dxguard scan deploy/                      report on every framework
      dxguard scan -f eu-ivdr --format json -o evidence.json deploy/
      helm template chart/ | dxguard scan -     read manifests from stdin
      dxguard scan --policy policy/ --controls catalogs/ deploy/
                                                add your own checks and catalogs
      dxguard explain DXG-K8S-ISO-001           a check's purpose, parameters and fix
      dxguard checks list                       what is checked, and why
      dxguard controls list -f fda-samd         which checks serve each clause
      dxguard init                              write a commented starter dxguard.yaml
      dxguard scan --record-inputs deploy/      keep the run in the evidence store
      dxguard evidence attach CONTROL FILE --by NAME --date YYYY-MM-DD
                                                attach a document to a manual control
      dxguard reproduce 42                      re-evaluate recorded run 42
      dxguard store verify                      check the evidence store's hash chain
      dxguard export --quarter 2026Q3 --key qa.key
                                                the quarter's signed evidence bundle
      dxguard verify BUNDLE.zip --public-key qa.pub
                                                check a bundle's signature, files and chain
      dxguard audit --context prod              judge what a live cluster runs

    Exit codes: 0 no unwaived failure at or above --fail-on, 1 such a failure (or one an
    expired waiver no longer covers), 2 usage, input, catalog, config, waiver or engine error
    (never reported as a pass).
    """


@cli.command()
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@click.option(
    "-f",
    "--framework",
    "frameworks",
    multiple=True,
    metavar="ID",
    help="Report on this framework only (repeatable). Default: the config's list, "
    "else every catalog. See `dxguard controls list`.",
)
@click.option(
    "--format",
    "formats",
    type=click.Choice(SCAN_FORMATS),
    multiple=True,
    help="Output format, repeatable: every format renders the same single evaluation. "
    "table (default) for people, json (checker/schemas/report.schema.json), html for auditors, "
    "markdown for a PR comment, sarif (2.1.0), junit, oscal (assessment results), github "
    "(workflow annotations).",
)
@click.option(
    "-o",
    "--output",
    "outputs",
    multiple=True,
    metavar="[FORMAT=]FILE",
    help="Write a format to FILE instead of stdout (repeatable). FORMAT=FILE names the format "
    "and asks for it, e.g. -o sarif=dxguard.sarif -o html=evidence.html. A plain FILE takes the "
    "format of --format, else of its extension (.sarif, .json, .html, .md, .xml for junit, "
    ".txt); a name that says nothing, or contradicts --format, is refused.",
)
@click.option(
    "--waivers",
    metavar="FILE",
    help="Waiver file (YAML, docs/waivers.md): approved, time-limited exceptions.",
)
@click.option(
    "--fail-on",
    type=click.Choice(FAIL_ON),
    default="low",
    show_default=True,
    help="Lowest severity of an unwaived failure that fails the run (exit 1). A failure covered "
    "only by an expired waiver always fails it; waived failures never do. none: report only.",
)
@click.option(
    "--waiver-warning-days",
    type=click.IntRange(min=0),
    default=30,
    show_default=True,
    metavar="DAYS",
    help="Flag waivers that expire within DAYS of the as-of time.",
)
@click.option(
    "-c",
    "--config",
    metavar="FILE",
    help="dxguard.yaml with frameworks and check parameters (docs/configuration.md).",
)
@click.option(
    "--policy",
    "policies",
    multiple=True,
    metavar="DIR",
    help="Add the team's own Rego checks in DIR to the bundle (repeatable; also config "
    "`policies`). See docs/writing-checks.md.",
)
@click.option(
    "--controls",
    "controls",
    multiple=True,
    metavar="DIR",
    help="Add the catalogs in DIR: new frameworks, or overrides of a built-in control's "
    "mapping (repeatable; also config `controls`). See docs/writing-catalogs.md.",
)
@click.option(
    "--as-of",
    metavar="TIME",
    envvar="DXGUARD_AS_OF",
    show_envvar=True,
    help="Evaluation time (ISO 8601, UTC if no offset). Fix "
    "it to reproduce a report byte for byte. Default: now.",
)
@click.option(
    "--opa-url",
    metavar="URL",
    help="Use the OPA at URL (with the dxguard bundle loaded) instead of starting one.",
)
@click.option(
    "--opa-binary",
    metavar="PATH",
    help="OPA binary to run (default: $DXGUARD_OPA, the "
    "checkout's .tools/bin/opa, then opa on PATH).",
)
@click.option(
    "--opa-timeout",
    type=click.FloatRange(min=0.1),
    default=300.0,
    show_default=True,
    metavar="SECONDS",
    help="How long to wait for OPA's answer.",
)
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="OPA queries in flight at once: the objects are judged in chunks, N at a time, so "
    "every core is busy and memory is bounded by the chunk, not the input. The report is the "
    "same whatever N. Default: one per core this process may run on.",
)
@click.option(
    "--max-file-size",
    type=click.IntRange(min=1),
    default=DEFAULT_MAX_FILE_BYTES,
    show_default=True,
    metavar="BYTES",
    help="Refuse input files larger than this.",
)
@click.option(
    "--stdin-filename",
    "stdin_name",
    metavar="PATH",
    help="The name manifests read from - carry in the report (default <stdin>): findings, "
    "SARIF locations and waivers' `file:` selectors use it, e.g. the chart they were "
    "rendered from: helm template charts/app | dxguard scan --stdin-filename charts/app -",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress or notes on stderr.")
@click.option(
    "--progress/--no-progress",
    default=None,
    help="A line on stderr per step (reading, evaluating, mapping) with counts and times. "
    "Default: on when stderr is a terminal.",
)
@click.option(
    "--record",
    is_flag=True,
    help="Append this run (its JSON report and metadata) to the evidence store's hash chain "
    "(docs/evidence-store.md).",
)
@click.option(
    "--record-inputs",
    is_flag=True,
    help="As --record, and keep every file the run read (inputs or stdin, config, waivers, "
    "custom checks and catalogs, the policy bundle) so `dxguard reproduce` can re-run it.",
)
@click.option(
    "--store",
    "store_location",
    metavar="PATH|URL",
    help=STORE_HELP + " Given (or with --record), the report lists, per control that needs "
    "manual evidence, the documents the store holds for it.",
)
@click.option(
    "--record-scope",
    "record_scope",
    metavar="NAME",
    help="With --record: what the recorded run looked at, for drift between periods (default: "
    "the CI's repository name, else the git checkout's folder name). Not the config's "
    "`scope` (platform or application), which decides which checks apply.",
)
def scan(
    paths: tuple[str, ...],
    frameworks: tuple[str, ...],
    formats: tuple[str, ...],
    outputs: tuple[str, ...],
    waivers: str | None,
    fail_on: str,
    waiver_warning_days: int,
    config: str | None,
    as_of: str | None,
    opa_url: str | None,
    opa_binary: str | None,
    opa_timeout: float,
    max_file_size: int,
    quiet: bool,
    jobs: int | None = None,
    progress: bool | None = None,
    policies: tuple[str, ...] = (),
    controls: tuple[str, ...] = (),
    stdin_name: str | None = None,
    record: bool = False,
    record_inputs: bool = False,
    store_location: str | None = None,
    record_scope: str | None = None,
) -> None:
    """Scan manifests (files, folders, or - for stdin) and report control by control.

    Folders are read recursively (.yaml, .yml, .json); other files and documents that are not
    Kubernetes objects are listed as skipped, never silently dropped.

    \b
    Several formats from one evaluation:
      dxguard scan --format table -o sarif=dxguard.sarif -o html=evidence.html deploy/
    """
    from checker.engine.server import install_signal_handlers
    from checker.report.json_format import render_json_parts
    from checker.scan import ScanOptions, ci_context, gc_paused, run_scan

    plan = plan_outputs(formats, outputs)  # usage errors before anything runs
    recorder = None
    stdin = None
    if record or record_inputs or store_location:  # the store opens while the scan runs
        from checker.store.commands import Recorder

        recorder = Recorder(store_location, config, record_scope, record_inputs)
        if record_inputs and "-" in paths:
            stdin = recorder.keep_stdin()
    install_signal_handlers()
    if quiet or progress is None:
        progress = not quiet and sys.stderr.isatty()

    def say(text: str) -> None:
        click.echo(f"dxguard: {text}", err=True)

    if progress:
        say(f"scanning {', '.join(paths)} …")
    # A one-shot process: the collector is paused while millions of parsed values are built
    # and while the report is rendered from them (it would walk them all again, to find no
    # garbage), git is asked for the commit, and a helper may be forked to locate failures' lines.
    with gc_paused():
        report = run_scan(
            ScanOptions.from_command_line(
                click.get_current_context().params,
                max_file_bytes=max_file_size,
                stdin_name=stdin_name,
                progress=say if progress else None,
                ci=ci_context(),
                fork_helpers=True,
                stdin=stdin,
            )
        )
        from checker.report.render import render  # the renderers once the report is built

        if recorder is not None:
            recorder.ready()  # a store that cannot be opened: exit 2, nothing written
            recorder.add_manual_evidence(report)  # per control: documents attached, or missing
        # The JSON text goes to the recorder only when it records; otherwise no rendered text
        # is kept once written (at 100k resources the JSON report alone is over 500 MB).
        keep_json = recorder is not None and (record or record_inputs)
        rendered: dict[str, str] = {}
        for fmt, output in plan:
            color = output is None and sys.stdout.isatty() and "NO_COLOR" not in os.environ
            width = _terminal_width() if output is None else 80
            if fmt == "json":
                parts = render_json_parts(report)
                _write(parts, output)
                if keep_json:
                    rendered[fmt] = b"".join(parts).decode()
                del parts
            else:
                _write(render(report, fmt, width=width, color=color), output)
        if recorder is not None and not (record or record_inputs):
            recorder.close()  # --store alone: read for its manual evidence, nothing recorded
        elif recorder is not None:
            recorder.record(
                report.to_json(),
                rendered.get("json"),
                paths=paths,
                frameworks=frameworks,
                waivers=waivers,
                policies=policies,
                controls=controls,
                fail_on=fail_on,
                waiver_warning_days=waiver_warning_days,
                max_file_bytes=max_file_size,
                opa_url=opa_url,
                quiet=quiet,
            )
        if not quiet:
            from checker.report.views import coverage_warnings, waiver_notes

            for text in coverage_warnings(report):
                click.echo(f"dxguard: warning: {text}", err=True)
            for level, _, text in waiver_notes(report):
                label = "note" if level == "notice" else "warning"
                click.echo(f"dxguard: {label}: {text}", err=True)
            skipped = report.summary.skipped_inputs
            if skipped:
                click.echo(
                    f"dxguard: note: {skipped} input(s) skipped (not manifests or not "
                    "Kubernetes objects); the report lists each with its reason",
                    err=True,
                )
            for fmt, output in plan:
                if output:
                    click.echo(f"dxguard: {fmt} report written to {output}", err=True)
        code = EXIT_FAIL if report.summary.result == "fail" else EXIT_OK
        # Everything is written: a scan that owns its process leaves without freeing its
        # objects one by one (at 10k resources a second of teardown); one that records does
        # not (its store closes as usual).
        end_process(code, fast=recorder is None)


def _engine_options(f: Any) -> Any:
    f = click.option("--opa-binary", metavar="PATH", help="OPA binary to run.")(f)
    f = click.option(
        "--opa-url", metavar="URL", help="Use the OPA at URL instead of starting one."
    )(f)
    return f


def _bundle_options(f: Any) -> Any:
    """--config, --policy and --controls: list and explain what a scan with them would use."""
    f = click.option(
        "--controls",
        "controls",
        multiple=True,
        metavar="DIR",
        help="Also the catalogs in DIR (repeatable).",
    )(f)
    f = click.option(
        "--policy",
        "policies",
        multiple=True,
        metavar="DIR",
        help="Also the custom checks in DIR (repeatable).",
    )(f)
    f = click.option(
        "-c",
        "--config",
        metavar="FILE",
        help="dxguard.yaml: its frameworks (the default for -f), parameters, disabled checks "
        "and custom folders.",
    )(f)
    return f


def _framework_filter(f: Any) -> Any:
    """-f/--framework for the catalog commands (list, show, matrix)."""
    return click.option(
        "-f",
        "--framework",
        "frameworks",
        multiple=True,
        metavar="ID",
        help="Only this framework (repeatable). Default: the config's frameworks, else all.",
    )(f)


def _open_bundle(
    config: str | None,
    policies: tuple[str, ...],
    controls: tuple[str, ...],
    opa_url: str | None,
    opa_binary: str | None,
) -> Any:
    from checker.bundle import EngineSpec, open_bundle, prepare
    from checker.config import load_config

    return open_bundle(
        prepare(
            load_config(config),
            policies=list(policies),
            controls=list(controls),
            spec=EngineSpec(opa_url, opa_binary),
        )
    )


def _serves(bundle: Any) -> dict[str, list[str]]:
    serves: dict[str, list[str]] = {m.id: [] for m in bundle.checks}
    for fw in bundle.catalogs.frameworks:
        for c in fw.controls:
            for cid in c.checks:
                serves[cid].append(f"{fw.id}: {c.id}")
    return serves


@cli.group()
def checks() -> None:
    """The checks in the policy bundle."""


@checks.command("list")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@_bundle_options
@_engine_options
def checks_list(
    fmt: str,
    config: str | None,
    policies: tuple[str, ...],
    controls: tuple[str, ...],
    opa_url: str | None,
    opa_binary: str | None,
) -> None:
    """List every check: id, family, severity, title, and the controls it serves."""
    with _open_bundle(config, policies, controls, opa_url, opa_binary) as bundle:
        metas = bundle.checks
        serves = _serves(bundle)
        disabled = bundle.disabled
        out_of_scope = bundle.out_of_scope
        origin = bundle.policies.origin
    if fmt == "json":
        rows = []
        for m in metas:
            row = {
                "id": m.id,
                "title": m.title,
                "family": m.family,
                "severity": m.severity,
                "description": m.description,
                "targets": m.targets,
                "remediation": m.remediation,
                "parameters": list(m.parameters),
                "scope": m.scope,
                "inventory": list(m.inventory),
                "package": m.package,
                "controls": serves[m.id],
                "origin": origin(m.id),
            }
            if m.id in disabled:
                row["disabled"] = {"reason": disabled[m.id]}
            if m.id in out_of_scope:
                row["out_of_scope"] = {"reason": out_of_scope[m.id]}
            rows.append(row)
        _write(json.dumps(rows, indent=2, sort_keys=True) + "\n", None)
        return
    from rich import box
    from rich.console import Console
    from rich.table import Table

    console = Console(width=_terminal_width(), highlight=False)
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, expand=True)
    table.add_column("Check", no_wrap=True)
    table.add_column("Family", no_wrap=True)
    table.add_column("Severity", no_wrap=True)
    table.add_column("Title", overflow="fold", ratio=2)
    table.add_column("Controls it serves", overflow="fold", ratio=5)
    for m in metas:
        title = m.title
        if origin(m.id) == "custom":
            title += " (custom)"
        if m.id in disabled:
            title += " — disabled: " + disabled[m.id]
        if m.id in out_of_scope:
            title += " — out of scope for this repository (scope: application)"
        by_framework: dict[str, list[str]] = {}
        for entry in serves[m.id]:
            fw, _, control = entry.partition(": ")
            by_framework.setdefault(fw, []).append(control)
        cited = "\n".join(f"{fw}: {', '.join(cs)}" for fw, cs in by_framework.items())
        table.add_row(m.id, m.family, m.severity, title, cited or "— (none: not in any report)")
    console.print(table)


@cli.group()
def controls() -> None:
    """The framework catalogs and their controls."""


@controls.command("list")
@_framework_filter
@click.option(
    "--format",
    "fmt",
    type=click.Choice((*FORMATS, "markdown")),
    default="table",
    show_default=True,
    help="markdown: the control reference (docs/controls.md is generated with it).",
)
@click.option("-o", "--output", metavar="FILE", help="Write to FILE (default stdout).")
@_bundle_options
@_engine_options
def controls_list(
    frameworks: tuple[str, ...],
    fmt: str,
    output: str | None,
    config: str | None,
    policies: tuple[str, ...],
    controls: tuple[str, ...],
    opa_url: str | None,
    opa_binary: str | None,
) -> None:
    """List controls per framework: clause, evidence kind and the checks behind it.

    \b
    The control reference in docs/ is this command's markdown output:
      dxguard controls list --format markdown -o docs/controls.md
    """
    from checker.controls import control_annotations, select_frameworks

    with _open_bundle(config, policies, controls, opa_url, opa_binary) as bundle:
        selected = select_frameworks(
            bundle.catalogs.frameworks, list(frameworks) or bundle.config.frameworks
        )
        metas = bundle.checks
    if fmt == "markdown":
        from checker.reference import render_control_reference

        _write(render_control_reference(selected, metas), output)
        return
    if fmt == "json":
        rows = [
            {
                "framework": fw.id,
                "title": fw.title,
                "version": fw.version,
                "file": fw.file,
                "controls": [
                    {
                        "id": c.id,
                        "title": c.title,
                        "requirement": c.requirement,
                        "evidence": c.evidence,
                        "citation": c.citation,
                        "checks": list(c.checks),
                        **control_annotations(c),
                        **({"catalog": c.catalog} if c.catalog else {}),
                    }
                    for c in fw.controls
                ],
            }
            for fw in selected
        ]
        _write(json.dumps(rows, indent=2, sort_keys=True) + "\n", output)
        return
    from rich import box
    from rich.console import Console
    from rich.table import Table

    console = Console(width=_terminal_width(), highlight=False)
    for fw in selected:
        console.print(f"[bold]{fw.title}[/bold] [{fw.id}, {fw.version}]", markup=True)
        table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, expand=True)
        table.add_column("Control", overflow="fold", ratio=4)
        table.add_column("Evidence", no_wrap=True)
        table.add_column("Checks", overflow="fold", ratio=4)
        for c in fw.controls:
            table.add_row(c.id, c.evidence, ", ".join(c.checks) or "—")
        console.print(table)


@controls.command("show")
@click.argument("control_id", metavar="CONTROL_ID")
@_framework_filter
@click.option(
    "--format", "fmt", type=click.Choice(("text", "json")), default="text", show_default=True
)
@_bundle_options
@_engine_options
def controls_show(
    control_id: str,
    frameworks: tuple[str, ...],
    fmt: str,
    config: str | None,
    policies: tuple[str, ...],
    controls: tuple[str, ...],
    opa_url: str | None,
    opa_binary: str | None,
) -> None:
    """Show a control: its requirement, evidence kind, checks and their tests.

    CONTROL_ID is the control's id as `controls list` prints it (quote it: ids hold spaces),
    or a unique part of its id or title. The same clause in several frameworks shows each.

    \b
      dxguard controls show "21 CFR 11.10(a)"
      dxguard controls show 7.5.8 --framework iso-13485
    """
    from checker.controls import select_frameworks
    from checker.traceability import bundle_tests, control_info, find_controls, render_control

    with _open_bundle(config, policies, controls, opa_url, opa_binary) as bundle:
        selected = select_frameworks(
            bundle.catalogs.frameworks, list(frameworks) or bundle.config.frameworks
        )
        tests = bundle_tests(bundle)
        found = find_controls(control_id, selected)
        infos = [control_info(fw, c, bundle, tests) for fw, c in found]
    if fmt == "json":
        _write(json.dumps(infos, indent=2, sort_keys=True) + "\n", None)
    else:
        _write("\n".join(render_control(i) for i in infos), None)


@controls.command("matrix")
@_framework_filter
@click.option("-o", "--output", metavar="FILE", help="Write to FILE (default stdout).")
@_bundle_options
@_engine_options
def controls_matrix(
    frameworks: tuple[str, ...],
    output: str | None,
    config: str | None,
    policies: tuple[str, ...],
    controls: tuple[str, ...],
    opa_url: str | None,
    opa_binary: str | None,
) -> None:
    """Export the traceability matrix (control ↔ check ↔ test) as CSV.

    One row per control, check and `opa test` case that verifies the check. A control with no
    check (manual evidence) or a check with no test keeps a row with those cells empty, so
    the gaps are in the matrix too. Custom checks and catalogs join with --policy/--controls.

    \b
      dxguard controls matrix -o traceability.csv
      dxguard controls matrix -f fda-samd -f eu-ivdr -c dxguard.yaml -o trace.csv
    """
    from checker.controls import select_frameworks
    from checker.traceability import bundle_tests, matrix_rows, render_matrix_csv

    with _open_bundle(config, policies, controls, opa_url, opa_binary) as bundle:
        selected = select_frameworks(
            bundle.catalogs.frameworks, list(frameworks) or bundle.config.frameworks
        )
        rows = matrix_rows(selected, bundle, bundle_tests(bundle))
    _write(render_matrix_csv(rows), output)


@cli.command()
@click.argument("path", default="dxguard.yaml", metavar="[PATH]")
@click.option("--force", is_flag=True, help="Overwrite PATH if it exists.")
def init(path: str, force: bool) -> None:
    """Write a commented starter configuration to PATH (default dxguard.yaml).

    Every key is listed with its description: tiers and parameters with their default values;
    frameworks, your own check and catalog folders (policies, controls) and disabled checks as
    commented examples. Edit the values for your platform (allowed registries, device
    lifetime, node pool, …).
    """
    from checker.errors import UsageError
    from checker.starter import render_starter

    target = Path(path)
    if target.exists() and not force:
        raise UsageError(f"{path} already exists", hint="pass --force to overwrite it")
    _write(render_starter(), path)
    click.echo(f"dxguard: wrote {path}; use it with `dxguard scan --config {path} …`", err=True)


@cli.command()
@click.argument("check_id", metavar="CHECK_ID")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(("text", "json")),
    default="text",
    show_default=True,
)
@_bundle_options
@_engine_options
def explain(
    check_id: str,
    fmt: str,
    config: str | None,
    policies: tuple[str, ...],
    controls: tuple[str, ...],
    opa_url: str | None,
    opa_binary: str | None,
) -> None:
    """Explain a check: its purpose, parameters (configured values), controls and the fix.

    \b
      dxguard explain DXG-K8S-ISO-001
      dxguard explain ACME-K8S-LOG-001 --policy policy/ -c dxguard.yaml
    """
    from checker.explain import explain_check, render_explanation

    with _open_bundle(config, policies, controls, opa_url, opa_binary) as bundle:
        info = explain_check(check_id, bundle)
    if fmt == "json":
        _write(json.dumps(info, indent=2, sort_keys=True) + "\n", None)
    else:
        _write(render_explanation(info), None)


@cli.command()
@_engine_options
def version(opa_url: str | None, opa_binary: str | None) -> None:
    """Print the dxguard version, the OPA version and the policy bundle digest."""
    from checker.engine import open_engine

    with open_engine(
        config_data=Config().policy_data(), opa_url=opa_url, opa_binary=opa_binary
    ) as engine:
        info = engine.info()
    click.echo(f"dxguard {__version__}")
    click.echo(f"OPA {info.opa_version}")
    click.echo(f"bundle sha256:{info.bundle_sha256} ({info.modules} modules)")


def _add_store_commands() -> None:
    from checker.export.commands import COMMANDS as EXPORT_COMMANDS
    from checker.store.commands import COMMANDS
    from checker.webhook.commands import webhook_group

    for command in (*COMMANDS, *EXPORT_COMMANDS, webhook_group):
        cli.add_command(command)


_add_store_commands()


def _add_audit_command() -> None:
    from checker.audit.command import audit

    cli.add_command(audit)


_add_audit_command()


# Set by main(): the command owns its process (`dxguard`, `python -m checker`), so it may end it
# at once. Never set when the command group is called in-process (tests, CliRunner).
_OWNS_PROCESS = False


def end_process(code: int, *, fast: bool = True) -> NoReturn:
    """Exit with `code`. With `fast`, in a process the command owns: flush the output streams,
    run the exit handlers (the timings file, any engine still running) as every exit does, and
    leave without the interpreter's teardown, which at 10k resources frees millions of objects
    one by one for nothing. An output stream that cannot be flushed takes the usual exit, which
    reports it."""
    if fast and _OWNS_PROCESS:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except (OSError, ValueError):
            sys.exit(code)
        atexit._run_exitfuncs()  # noqa: SLF001 - the handlers an ordinary exit runs
        os._exit(code)
    sys.exit(code)


def main() -> None:
    global _OWNS_PROCESS
    _OWNS_PROCESS = True
    cli(prog_name="dxguard")
