"""The scan pipeline, end to end: config → catalogs → loaders → engine → waivers → mapping →
report.

Front doors (the CLI now, the webhook later) call `run_scan` and render what it returns; they
hold no pipeline logic of their own, so a verdict cannot depend on the door it came through.
Everything that can be checked without OPA is checked before OPA starts.
"""

from __future__ import annotations

import contextlib
import gc
import os
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TextIO

from checker.bundle import folders, load_all_catalogs, open_bundle, prepare_policies
from checker.config import Config, load_config
from checker.controls import Catalogs, load_catalogs, select_frameworks
from checker.engine import DEFAULT_TIMEOUT
from checker.errors import DxguardError, EngineError, UsageError
from checker.loaders import DEFAULT_MAX_FILE_BYTES, load
from checker.loaders.locate import Locator
from checker.model import Framework, LoadResult
from checker.paths import controls_dir, project_root
from checker.policies import CustomPolicies
from checker.report import RunInfo, build_report
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

    def say(self, text: str) -> None:
        if self.progress is not None:
            self.progress(text)


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


def load_project_catalogs(custom_folders: list[str] | None = None) -> Catalogs:
    """The built-in catalogs, plus custom catalog folders when given."""
    if not custom_folders:
        return load_catalogs(controls_dir(), display_root=project_root())
    return load_all_catalogs(custom_folders)


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while millions of parsed values are being built.

    Parsed manifests hold no reference cycles, yet the collector would walk them again and again
    as they grow (a third of the load time at 10k resources). Re-enabled afterwards, so a
    long-running process (the webhook) keeps its normal collection.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def run_scan(opts: ScanOptions) -> dict[str, Any]:
    with _gc_paused():
        return _run_scan(opts)


def _run_scan(opts: ScanOptions) -> dict[str, Any]:
    if not opts.paths:
        raise UsageError("no input given", hint="pass manifest files or folders, or - for stdin")
    as_of = parse_as_of(opts.as_of)
    config = load_config(opts.config)
    policy_folders, control_folders = folders(config, opts.policies, opts.controls)
    catalogs = load_project_catalogs(control_folders)
    selected = select_frameworks(catalogs.frameworks, opts.frameworks or config.frameworks)
    waiver_file = load_waivers(opts.waivers) if opts.waivers else None
    custom = prepare_policies(policy_folders, opts.opa_url, opts.opa_binary)

    def read_inputs() -> LoadResult:
        start = time.perf_counter()
        with stage("load"):
            loaded = load(
                opts.paths,
                stdin=opts.stdin,
                max_file_bytes=opts.max_file_bytes,
                stdin_name=opts.stdin_name,
            )
        opts.say(
            f"read {len(loaded.resources):,} resource(s) from {len(loaded.inputs):,} file(s) "
            f"in {time.perf_counter() - start:.1f} s"
        )
        return loaded

    # The inputs are read while OPA starts and compiles the bundle in its own process.
    loading = _InBackground(read_inputs)
    try:
        return _evaluate_and_report(opts, as_of, config, catalogs, selected, waiver_file, custom,
                                    loading)  # fmt: skip
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


def _evaluate_and_report(
    opts: ScanOptions,
    as_of: str,
    config: Config,
    catalogs: Catalogs,
    selected: list[Framework],
    waiver_file: WaiverFile | None,
    custom: CustomPolicies,
    loading: _InBackground,
) -> dict[str, Any]:
    with open_bundle(
        config,
        opa_url=opts.opa_url,
        opa_binary=opts.opa_binary,
        timeout=opts.opa_timeout,
        catalogs=catalogs,
        custom=custom,
    ) as bundle:
        loaded: LoadResult = loading.result()
        engine = bundle.engine
        checks = bundle.checks
        if waiver_file is not None:
            waiver_file.validate_checks({c.id for c in checks})
        info = engine.info()
        if opts.opa_url:
            remote = engine.config_data()
            if remote != config.policy_data():
                raise EngineError(
                    f"the OPA at {opts.opa_url} holds different dxguard parameters "
                    "(data.dxguard.config) than this run's config",
                    hint="load the same config into that OPA, or pass the config it was "
                    "started with",
                )
        active = sum(1 for c in checks if c.id not in config.disabled_checks)
        opts.say(
            f"evaluating {active} check(s) on {len(loaded.resources):,} resource(s) "
            f"with OPA {info.opa_version} …"
        )
        start = time.perf_counter()
        with stage("engine"):
            evaluation = engine.evaluate(
                [r.to_input() for r in loaded.resources], context={"as_of": as_of}
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

    run = RunInfo(
        as_of=as_of,
        opa_version=info.opa_version,
        bundle_sha256=info.bundle_sha256,
        bundle_modules=info.modules,
        engine="managed" if not opts.opa_url else opts.opa_url,
        config_file=config.file,
        config_file_sha256=config.file_sha256,
        config_sha256=config.sha256,
        parameters=config.parameters,
        ci=ci_context(),
        fail_on=opts.fail_on,
        disabled_checks=config.disabled_checks,
        custom_policies=[f.to_json() for f in custom.files],
    )
    with stage("mapping"):
        report = build_report(
            run,
            selected,
            catalogs.frameworks,
            checks,
            results,
            loaded,
            Locator(loaded),
            outcome,
            passes=evaluation.passes,
        )
    report_ready()
    return report
