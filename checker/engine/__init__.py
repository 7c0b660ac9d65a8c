"""The engine: the real OPA, either a managed local server or one at --opa-url.

`open_engine()` yields an Engine ready for the run's queries (Engine.clone gives each worker
thread a connection of its own) and guarantees that a managed OPA is stopped afterwards,
whatever happens.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from checker.engine.binary import find_opa
from checker.engine.server import ManagedOpa
from checker.paths import rego_dir

if TYPE_CHECKING:
    from checker.engine.client import Engine, EngineInfo

__all__ = ["Engine", "EngineInfo", "open_engine"]


def __getattr__(name: str) -> Any:
    # The client (opa-python-client, requests, and the aiohttp they import: ~0.4 s) is imported
    # only once a managed OPA has been started, so that its import overlaps OPA's start-up.
    if name in ("Engine", "EngineInfo"):
        from checker.engine import client

        return getattr(client, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


DEFAULT_TIMEOUT = 300.0


def policy_files(paths: list[Path]) -> list[Path]:
    """The policy modules OPA loads from these paths: every .rego file, tests excluded (the
    managed OPA runs with --ignore '*_test.rego')."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out += [f for f in p.rglob("*.rego") if not f.name.endswith("_test.rego")]
        elif p.suffix == ".rego" and not p.name.endswith("_test.rego"):
            out.append(p)
    return sorted(out)


@contextlib.contextmanager
def open_engine(
    *,
    config_data: dict[str, Any],
    opa_url: str | None = None,
    opa_binary: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    policy_paths: list[Path] | None = None,
) -> Iterator[Engine]:
    if opa_url:
        from checker.engine.client import Engine

        engine = Engine.from_url(opa_url, timeout)
        try:
            yield engine
        finally:
            engine.close()
        return
    binary = find_opa(opa_binary)
    paths = policy_paths or [rego_dir()]
    data = {"dxguard": {"config": config_data}}
    with ManagedOpa(binary, paths, data) as opa:
        from checker.engine.client import Engine  # imported while OPA started (see server.py)

        engine = Engine(
            opa.host, opa.port, timeout=timeout, watchdog=opa, module_files=policy_files(paths)
        )
        try:
            yield engine
        finally:
            engine.close()
