"""The scan pipeline, end to end: config → catalogs → loaders → engine → waivers → mapping →
report.

Front doors call `run_scan` and render what it returns; they hold no pipeline logic of their
own, so a verdict cannot depend on the door it came through. The bundle is prepared in one place
(checker.bundle); everything that can be checked without OPA is checked before OPA starts.
Process-wide effects stay with the front door: it may pause the garbage collector (gc_paused),
asks git for the commit (ci_context) and says whether a helper may be forked (ScanOptions).
"""

from __future__ import annotations

import contextlib
import gc
import os
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TextIO

from checker.bundle import (
    BATCH_SIZE,
    Bundle,
    EngineSpec,
    Prepared,
    default_jobs,
    open_bundle,
    prepare,
)
from checker.config import load_config
from checker.controls import select_frameworks
from checker.engine import DEFAULT_TIMEOUT
from checker.errors import DxguardError, UsageError
from checker.loaders import DEFAULT_MAX_FILE_BYTES, load
from checker.loaders.locate import Locator
from checker.model import Framework, LoadResult
from checker.report import Report, RunInfo, build_report
from checker.report.model import ClusterInfo
from checker.timing import report_ready, stage
from checker.waivers import DEFAULT_WARNING_DAYS, WaiverFile, apply_waivers, load_waivers


@dataclass
class ScanOptions:
    paths: list[str]
    frameworks: list[str] = field(default_factory=list)
    config: str | None = None
    as_of: str | None = None
    opa_url: str | None = None
    opa_binary: str | None = None
    opa_timeout: float = DEFAULT_TIMEOUT
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    stdin: TextIO | None = None
    stdin_name: str | None = None  # what stdin is called in the report (--stdin-filename)
    waivers: str | None = None  # waiver file (YAML)
    waiver_warning_days: int = DEFAULT_WARNING_DAYS
    fail_on: str = "low"  # lowest failing severity, or "none"
    policies: list[str] = field(default_factory=list)  # custom Rego check folders (--policy)
    controls: list[str] = field(default_factory=list)  # custom catalog folders (--controls)
    progress: Callable[[str], None] | None = None  # one line per step of a long run
    # What the front door knows of its context and allows: the commit under test (see
    # ci_context), and whether a helper process may be forked to locate failures' lines.
    ci: dict[str, str] = field(default_factory=dict)
    fork_helpers: bool = False
    # Evaluation: objects per OPA query, and queries in flight at once (None: one per core).
    # Neither changes the report.
    jobs: int | None = None
    batch_size: int = BATCH_SIZE

    def say(self, text: str) -> None:
        if self.progress is not None:
            self.progress(text)

    @classmethod
    def from_command_line(cls, params: Mapping[str, Any], **door: Any) -> ScanOptions:
        """The options of a door that judges resources (`scan`, `audit`) from its command line:
        the ones both doors share, read by their click parameter names from `params` (the
        command's parameters), and what the door adds (`door`: its progress, stdin, ...)."""
        return cls(
            paths=list(params["paths"]),
            frameworks=list(params["frameworks"]),
            policies=list(params["policies"]),
            controls=list(params["controls"]),
            config=params["config"],
            as_of=params["as_of"],
            opa_url=params["opa_url"],
            opa_binary=params["opa_binary"],
            opa_timeout=params["opa_timeout"],
            jobs=params["jobs"],
            waivers=params["waivers"],
            waiver_warning_days=params["waiver_warning_days"],
            fail_on=params["fail_on"],
            **door,
        )


def parse_as_of(value: str | None) -> str:
    """ISO 8601 date or date-time → 'YYYY-MM-DDTHH:MM:SSZ' in UTC; None → now."""
    if value is None:
        moment = datetime.now(UTC)
    else:
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise UsageError(
                f"--as-of {value!r} is not an ISO 8601 date or time",
                hint="use e.g. 2026-11-26 or 2026-11-26T12:00:00Z",
            ) from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)  # a date or naive time is read as UTC
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def ci_context() -> dict[str, str]:
    """The commit under test, where a CI system or a git checkout tells it."""
    for var in ("GITHUB_SHA", "CI_COMMIT_SHA", "BUILD_SOURCEVERSION", "GIT_COMMIT"):
        if os.environ.get(var):
            return {"commit": os.environ[var], "source": var}
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return {}
    if out.returncode == 0 and out.stdout.strip():
        return {"commit": out.stdout.strip(), "source": "git"}
    return {}


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while millions of parsed values are being built.

    Parsed manifests hold no reference cycles, yet the collector would walk them again and again
    as they grow (a third of the load time at 10k resources). For one-shot front doors (the CLI);
    a long-running process (the webhook) keeps its normal collection. Re-enabled afterwards.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@dataclass
class PreparedRun:
    """What a run needs before it reads its resources: the as-of time, the bundle prepared
    (config, catalogs, custom policies, all validated), the frameworks selected, the waivers."""

    as_of: str
    prepared: Prepared
    selected: list[Framework]
    waiver_file: WaiverFile | None


def prepare_run(opts: ScanOptions) -> PreparedRun:
    """Everything a scan or an audit checks before OPA starts and before any input is read."""
    as_of = parse_as_of(opts.as_of)
    config = load_config(opts.config)
    prepared = prepare(
        config,
        policies=opts.policies,
        controls=opts.controls,
        spec=EngineSpec(opts.opa_url, opts.opa_binary, opts.opa_timeout),
    )
    selected = select_frameworks(prepared.catalogs.frameworks, opts.frameworks or config.frameworks)
    waiver_file = load_waivers(opts.waivers) if opts.waivers else None
    return PreparedRun(as_of, prepared, selected, waiver_file)


def run_scan(opts: ScanOptions) -> Report:
    if not opts.paths:
        raise UsageError("no input given", hint="pass manifest files or folders, or - for stdin")
    run = prepare_run(opts)

    def read_inputs() -> LoadResult:
        start = time.perf_counter()
        with stage("load"):
            loaded = load(
                opts.paths,
                stdin=opts.stdin,
                max_file_bytes=opts.max_file_bytes,
                stdin_name=opts.stdin_name,
                workloads=run.prepared.config.workloads,
            )
        opts.say(
            f"read {len(loaded.resources):,} resource(s) from {len(loaded.inputs):,} file(s) "
            f"in {time.perf_counter() - start:.1f} s"
        )
        return loaded

    # The inputs are read while OPA starts and compiles the bundle in its own process.
    loading = _InBackground(read_inputs)
    try:
        return evaluate_and_report(opts, run, lambda _bundle: loading.result())
    except DxguardError:
        loading.result()  # when the inputs are bad too, their error is the one to fix first
        raise


class _InBackground:
    """Run a function in a thread; result() waits for it and returns or re-raises."""

    def __init__(self, fn: Callable[[], Any]):
        self._value: Any = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(fn,), daemon=True)
        self._thread.start()

    def _run(self, fn: Callable[[], Any]) -> None:
        try:
            self._value = fn()
        except BaseException as err:  # noqa: BLE001 - handed to the waiting thread
            self._error = err

    def result(self) -> Any:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value


def evaluate_and_report(
    opts: ScanOptions,
    run: PreparedRun,
    read: Callable[[Bundle], LoadResult],
    *,
    cluster: Callable[[], ClusterInfo] | None = None,
) -> Report:
    """Open the bundle, take the resources `read` returns, evaluate, apply waivers, report.

    The one evaluation of every door that judges a set of resources: a scan's `read` waits for
    the files it is reading; an audit's lists what the open bundle's checks need from a cluster
    (and `cluster`, called once `read` returned, says which cluster that was, for the report).
    Same resources, same bundle, same as-of: the same report, whichever door read them."""
    as_of, prepared, selected, waiver_file = run.as_of, run.prepared, run.selected, run.waiver_file
    config = prepared.config
    with open_bundle(prepared) as bundle:
        loaded: LoadResult = read(bundle)
        checks = bundle.checks
        if waiver_file is not None:
            waiver_file.validate_checks({c.id for c in checks})
        info = bundle.engine.info()
        active = sum(1 for c in checks if c.id not in config.disabled_checks)
        jobs = opts.jobs or default_jobs()
        opts.say(
            f"evaluating {active} check(s) on {len(loaded.resources):,} resource(s) "
            f"with OPA {info.opa_version}, {jobs} job(s) …"
        )
        start = time.perf_counter()
        with stage("engine"):
            # the objects are forgotten as they are judged: the report needs only their records
            evaluation = bundle.evaluate_all(
                loaded.resources, as_of, batch_size=opts.batch_size, jobs=jobs, release=True
            )
        examined = sum(evaluation.passes.values()) + len(evaluation.failures)
        opts.say(
            f"OPA answered in {time.perf_counter() - start:.1f} s: {examined:,} subject(s) "
            f"examined, {len(evaluation.failures):,} failure(s); mapping them to controls …"
        )
    results = evaluation.failures

    outcome = None
    if waiver_file is not None:
        outcome = apply_waivers(
            results,
            {r.id: r for r in loaded.resources},
            waiver_file,
            as_of,
            opts.waiver_warning_days,
        )
        results = outcome.results

    info_run = RunInfo(
        as_of=as_of,
        opa_version=info.opa_version,
        bundle_sha256=info.bundle_sha256,
        bundle_modules=info.modules,
        engine="managed" if not opts.opa_url else opts.opa_url,
        config_file=config.file,
        config_file_sha256=config.file_sha256,
        config_sha256=config.sha256,
        parameters=config.parameters,
        ci=dict(opts.ci),
        fail_on=opts.fail_on,
        disabled_checks=config.disabled_checks,
        custom_policies=[f.to_json() for f in prepared.policies.files],
        repository_scope=config.scope,
        out_of_scope_checks=config.out_of_scope(checks),
        cluster=cluster() if cluster is not None else None,
    )
    with stage("mapping"):
        report = build_report(
            info_run,
            selected,
            prepared.catalogs.frameworks,
            checks,
            results,
            loaded,
            Locator(loaded, fork=opts.fork_helpers),
            outcome,
            passes=evaluation.passes,
        )
    report_ready()
    return report
