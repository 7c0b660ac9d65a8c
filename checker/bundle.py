"""The bundle a run evaluates, assembled the same way for every front door.

Built-in checks plus the team's custom policies (--policy, config `policies`), built-in catalogs
plus custom ones (--controls, config `controls`), and the config's disabled checks; everything
that can be validated without OPA is validated before it starts, the rest (custom checks define
`meta` and `results`, catalogs cite existing checks, disabled ids exist) right after. It only
assembles and validates: evaluation, mapping and rendering happen elsewhere.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from checker.config import Config
from checker.controls import Catalogs, add_custom_catalogs, load_catalogs
from checker.engine import DEFAULT_TIMEOUT, open_engine
from checker.engine.binary import find_opa
from checker.errors import ConfigError, UsageError
from checker.model import CheckMeta
from checker.paths import controls_dir, project_root, rego_dir
from checker.policies import CustomPolicies, load_custom_policies, verify_loaded

if TYPE_CHECKING:
    from checker.engine.client import Engine


@dataclass
class Bundle:
    engine: Engine
    checks: list[CheckMeta]
    catalogs: Catalogs
    policies: CustomPolicies
    config: Config

    @property
    def disabled(self) -> dict[str, str]:
        return self.config.disabled_checks


def folders(config: Config, policies: list[str], controls: list[str]) -> tuple[list, list]:
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
    base = load_catalogs(controls_dir(), display_root=project_root())
    return add_custom_catalogs(base, control_folders, controls_dir() / "catalog.schema.json")


def prepare_policies(
    policy_folders: list[str], opa_url: str | None, opa_binary: str | None
) -> CustomPolicies:
    if not policy_folders:
        return CustomPolicies()
    if opa_url:
        raise UsageError(
            "custom policies (--policy, config `policies`) cannot be used with --opa-url: "
            "dxguard adds them only to the OPA it starts itself",
            hint="drop --opa-url, or load the custom checks into that OPA yourself and leave "
            "out --policy",
        )
    return load_custom_policies(policy_folders, find_opa(opa_binary), rego_dir())


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


@contextlib.contextmanager
def open_bundle(
    config: Config,
    *,
    policies: list[str] | None = None,
    controls: list[str] | None = None,
    opa_url: str | None = None,
    opa_binary: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    catalogs: Catalogs | None = None,
    custom: CustomPolicies | None = None,
) -> Iterator[Bundle]:
    """Start (or reach) OPA with the full bundle and yield it validated end to end."""
    policy_folders, control_folders = folders(config, policies or [], controls or [])
    if catalogs is None:
        catalogs = load_all_catalogs(control_folders)
    if custom is None:
        custom = prepare_policies(policy_folders, opa_url, opa_binary)
    paths: list[Path] | None = [rego_dir(), *custom.opa_paths()] if custom.files else None
    with open_engine(
        config_data=config.policy_data(),
        opa_url=opa_url,
        opa_binary=opa_binary,
        timeout=timeout,
        policy_paths=paths,
    ) as engine:
        checks = engine.checks()
        if custom.checks:
            verify_loaded(custom, *engine.check_packages(), set(config.disabled_checks))
        catalogs.validate_references({c.id for c in checks})
        validate_disabled(config, checks)
        yield Bundle(engine, checks, catalogs, custom, config)
