"""The evaluation core: the bundle prepared once, then asked to judge batches of objects.

Every front door (the CLI scan and catalog commands now, the webhook and the audit next)
prepares its bundle here and nowhere else. `prepare()` assembles and validates everything that
needs no OPA — built-in checks plus the team's custom policies (--policy, config `policies`),
built-in catalogs plus custom ones (--controls, config `controls`), the config's disabled checks
— and `open_bundle()` starts (or reaches) OPA with it and validates the rest (custom checks
define `meta` and `subjects`, catalogs cite existing checks, disabled ids exist). The open
Bundle then has a small API: `load_inventory` (what checks read about other objects), `evaluate`
(one batch of objects, object-scope checks) and `evaluate_cluster` (the inventory as a whole,
once). It holds no process-wide state: pausing the garbage collector, asking git for the
commit, forking helpers and progress output belong to the front door that wants them.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import threading
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from checker.config import Config
from checker.controls import Catalogs, add_custom_catalogs, load_catalogs
from checker.engine import DEFAULT_TIMEOUT, open_engine
from checker.engine.binary import find_opa
from checker.errors import ConfigError, EngineError, UsageError
from checker.identity import resource_identity
from checker.inventory import build_inventory, declared
from checker.model import CheckMeta, CheckResult, Resource
from checker.paths import controls_dir, project_root, rego_dir
from checker.policies import CustomPolicies, load_custom_policies, verify_loaded

if TYPE_CHECKING:
    from checker.engine.client import Engine, Evaluation

# Objects per OPA query: large enough that the per-query cost (building the checks' tables)
# is small beside the objects' own, small enough that OPA holds little besides the inventory.
# Measured on the generated corpus (1.5k resources, one job): 25 a query cost 3.3 ms an object,
# 250 to 1,500 cost 2.5 ms alike, while OPA's peak memory grew from 160 MiB (250) to 420 MiB
# (1,500).
BATCH_SIZE = 250


def default_jobs() -> int:
    """Queries in flight at once by default: one per core this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not Linux
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class EngineSpec:
    """Where the engine runs: a managed OPA (opa_binary or the default) or one at opa_url."""

    opa_url: str | None = None
    opa_binary: str | None = None
    timeout: float = DEFAULT_TIMEOUT


@dataclass
class Prepared:
    """Everything a bundle needs that can be validated before OPA starts."""

    config: Config
    catalogs: Catalogs
    policies: CustomPolicies
    spec: EngineSpec = field(default_factory=EngineSpec)


def _folders(config: Config, policies: list[str], controls: list[str]) -> tuple[list, list]:
    """Custom policy and catalog folders: the config's first, then the command line's.

    A folder named twice (in the config and on the command line, or spelled two ways) is one
    folder; a folder that does not exist is an error naming where it was given.
    """
    return (
        _unique_folders(config.folder_entries("policies"), policies, "--policy", "policies"),
        _unique_folders(config.folder_entries("controls"), controls, "--controls", "controls"),
    )


def _unique_folders(
    from_config: list[tuple[str, str]], from_cli: list[str], option: str, key: str
) -> list[str]:
    out: list[str] = []
    seen: set[Path] = set()
    holds = "your .rego checks" if key == "policies" else "your catalogs (*.yaml)"
    for path, where in [*from_config, *((p, f"{option} {p}") for p in from_cli)]:
        folder = Path(path)
        if not folder.is_dir():
            error = ConfigError if not where.startswith("--") else UsageError
            raise error(
                f"{where}: no such folder ({folder.resolve()})",
                hint=f"give a folder that holds {holds}"
                + (
                    "; config folders are read relative to the config file"
                    if error is ConfigError
                    else ""
                ),
            )
        real = folder.resolve()
        if real not in seen:
            seen.add(real)
            out.append(path)
    return out


def load_all_catalogs(control_folders: list[str]) -> Catalogs:
    """The built-in catalogs, plus custom catalog folders when given."""
    base = load_catalogs(controls_dir(), display_root=project_root())
    if not control_folders:
        return base
    return add_custom_catalogs(base, control_folders, controls_dir() / "catalog.schema.json")


def prepare(
    config: Config,
    *,
    policies: list[str] | None = None,
    controls: list[str] | None = None,
    spec: EngineSpec | None = None,
) -> Prepared:
    """Catalogs and custom policies of a run, validated before OPA starts."""
    spec = spec or EngineSpec()
    policy_folders, control_folders = _folders(config, policies or [], controls or [])
    catalogs = load_all_catalogs(control_folders)
    custom = CustomPolicies()
    if policy_folders:
        if spec.opa_url:
            raise UsageError(
                "custom policies (--policy, config `policies`) cannot be used with --opa-url: "
                "dxguard adds them only to the OPA it starts itself",
                hint="drop --opa-url, or load the custom checks into that OPA yourself and "
                "leave out --policy",
            )
        custom = load_custom_policies(policy_folders, find_opa(spec.opa_binary), rego_dir())
    return Prepared(config, catalogs, custom, spec)


def validate_disabled(config: Config, checks: list[CheckMeta]) -> None:
    known = {c.id for c in checks}
    for cid in config.disabled_checks:
        if cid not in known:
            line = config.lines.get(("checks.disabled", cid))
            where = f"{config.file}:{line}" if config.file and line else (config.file or "config")
            raise ConfigError(
                f"{where}: checks.disabled names {cid}, which is not a check in the bundle",
                hint="run `dxguard checks list` for the ids that exist",
            )


@dataclass
class Bundle:
    """An engine holding the bundle, the config and (once loaded) the inventory."""

    engine: Engine
    checks: list[CheckMeta]
    catalogs: Catalogs
    policies: CustomPolicies
    config: Config

    @property
    def disabled(self) -> dict[str, str]:
        return self.config.disabled_checks

    @property
    def out_of_scope(self) -> dict[str, str]:
        """Checks the repository's scope leaves out (config `scope: application`), with why."""
        return self.config.out_of_scope(self.checks)

    def inventory_kinds(self) -> frozenset[str]:
        """What the enabled checks read from the inventory (their METADATA says)."""
        return declared(self.checks, [*self.config.disabled_checks, *self.out_of_scope])

    def load_inventory(self, resources: Iterable[Resource]) -> None:
        """Build the inventory the enabled checks declare from these resources and load it."""
        self.engine.load_inventory(
            build_inventory(resources, self.inventory_kinds(), self.config.workloads)
        )

    def evaluate(self, resources: list[Resource], as_of: str) -> Evaluation:
        """One batch of objects under review, judged by every enabled object-scope check. The
        workloads among them (objects with a pod spec) must get rows: the engine's answer is
        refused when it has none at all."""
        return self._judge(self.engine, resources, as_of)

    def _judge(self, engine: Engine, resources: list[Resource], as_of: str) -> Evaluation:
        table = self.config.workloads
        workloads = frozenset(
            r.id
            for r in resources
            if r.family == "k8s" and table.is_workload(r.object, r.api_version, r.kind)
        )
        return engine.evaluate(
            [r.to_input() for r in resources], {"as_of": as_of}, workloads=workloads
        )

    def review(self, resources: list[Resource], as_of: str) -> tuple[Evaluation, dict[str, str]]:
        """As evaluate, with the tier of each object (clinical, research or other): what the
        admission webhook needs to decide how a failure is enforced."""
        return self.engine.review([r.to_input() for r in resources], {"as_of": as_of})

    def evaluate_cluster(self, as_of: str, known: set[str]) -> Evaluation:
        """The inventory as a whole, judged by every enabled cluster-scope check."""
        return self.engine.evaluate_cluster({"as_of": as_of}, known)

    def evaluate_all(
        self,
        resources: list[Resource],
        as_of: str,
        *,
        batch_size: int = BATCH_SIZE,
        jobs: int = 1,
        on_batch: Callable[[int], None] | None = None,
        release: bool = False,
    ) -> Evaluation:
        """A whole scan: the inventory from these resources loaded once, then the objects in
        chunks of `batch_size`, `jobs` queries in flight at once (each on a connection of its
        own; OPA evaluates concurrent queries on several cores), and the cluster-scope checks
        once, beside them. Each answer is reduced as it arrives (failures as records, passes
        as counts) and the chunks' results are added in chunk order, so the evaluation is the
        same whatever `jobs` and `batch_size`. At most 2 × jobs chunks are queued or in flight,
        so neither OPA nor dxguard holds every object's input or answer at once. The first
        chunk whose query fails ends the evaluation with its EngineError: nothing is passed.
        With `release`, each resource forgets its parsed object once its chunk is judged
        (Resource.release): a scan reports on them afterwards but never judges them again."""
        from checker.engine.client import Evaluation

        if batch_size < 1 or jobs < 1:
            raise ValueError("batch_size and jobs must be at least 1")
        self.load_inventory(resources)
        failures: list[CheckResult] = []
        passes: Counter[tuple[str, str]] = Counter()
        starts = iter(range(0, len(resources), batch_size))
        local = threading.local()
        clients: list[Engine] = []
        clients_lock = threading.Lock()

        def engine() -> Engine:
            # one client per worker thread; the first thread to ask gets the bundle's own
            mine = getattr(local, "engine", None)
            if mine is None:
                with clients_lock:
                    mine = self.engine if not clients else self.engine.clone()
                    clients.append(mine)
                local.engine = mine
            return mine

        def chunk(start: int) -> Evaluation:
            batch = resources[start : start + batch_size]
            answer = self._judge(engine(), batch, as_of)
            if release:
                for res in batch:
                    res.release(resource_identity(res))
            return answer

        def cluster() -> Evaluation:
            return engine().evaluate_cluster({"as_of": as_of}, {r.id for r in resources})

        pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="dxguard-eval")
        try:
            # the cluster-scope checks run beside the chunks (there are none in the
            # application scope: every cluster-scope check is out of it)
            judged_cluster = pool.submit(cluster) if self.config.scope != "application" else None
            window: deque[tuple[int, Future[Evaluation]]] = deque()
            for start in itertools.islice(starts, 2 * jobs):
                window.append((start, pool.submit(chunk, start)))
            while window:
                start, future = window.popleft()
                batch = future.result()
                failures += batch.failures
                passes.update(batch.passes)
                del batch
                for following in itertools.islice(starts, 1):
                    window.append((following, pool.submit(chunk, following)))
                if on_batch is not None:
                    on_batch(min(start + batch_size, len(resources)))
            if judged_cluster is not None:
                answer = judged_cluster.result()
                failures += answer.failures
                passes.update(answer.passes)
        except BaseException:
            # queued chunks are dropped; running ones end with the engine (stopped next)
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        else:
            pool.shutdown(wait=True)
        finally:
            for other in clients:
                if other is not self.engine:
                    other.close()
        return Evaluation(failures, passes)


@contextlib.contextmanager
def open_bundle(prepared: Prepared) -> Iterator[Bundle]:
    """Start (or reach) OPA with the full bundle and yield it validated end to end."""
    custom = prepared.policies
    spec = prepared.spec
    paths: list[Path] | None = [rego_dir(), *custom.opa_paths()] if custom.files else None
    with open_engine(
        config_data=prepared.config.policy_data(),
        opa_url=spec.opa_url,
        opa_binary=spec.opa_binary,
        timeout=spec.timeout,
        policy_paths=paths,
    ) as engine:
        checks = engine.checks()
        if custom.checks:
            verify_loaded(custom, *engine.check_packages(), set(prepared.config.disabled_checks))
        prepared.catalogs.validate_references({c.id for c in checks})
        validate_disabled(prepared.config, checks)
        engine.load_index(checks, set(prepared.config.disabled_checks))
        if spec.opa_url and engine.config_data() != prepared.config.policy_data():
            raise EngineError(
                f"the OPA at {spec.opa_url} holds different dxguard parameters "
                "(data.dxguard.config) than this run's config",
                hint="load the same config into that OPA, or pass the config it was started with",
            )
        yield Bundle(engine, checks, prepared.catalogs, custom, prepared.config)
