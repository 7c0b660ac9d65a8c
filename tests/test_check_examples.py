"""Every check has good and bad example inputs beside the suite, and the suite runs them.

fixtures/checks/<target>/<check file name>/good/ must be examined by the check and pass it;
.../bad/ must fail it. A folder may carry its own dxguard.yaml (tiers, parameters); otherwise
fixtures/dxguard.yaml applies. Each example is judged the way a scan judges it: the inventory
from the folder's own files, every batch, then the cluster.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest

from checker.bundle import open_bundle, prepare
from checker.config import load_config
from checker.loaders import load

from conftest import AS_OF, FIXTURES, opa_path

EXAMPLES = FIXTURES / "checks"
DEFAULT_CONFIG = FIXTURES / "dxguard.yaml"


@pytest.fixture(scope="module")
def bundles():
    """One open bundle per config file, shared by the examples that use it."""
    os.environ.setdefault("DXGUARD_OPA", str(opa_path()))
    opened: dict[Path, object] = {}
    contexts = []

    def get(config: Path):
        if config not in opened:
            cm = open_bundle(prepare(load_config(str(config))))
            opened[config] = cm.__enter__()
            contexts.append(cm)
        return opened[config]

    yield get
    for cm in contexts:
        cm.__exit__(None, None, None)


@pytest.fixture(scope="module")
def checks(bundles):
    return bundles(DEFAULT_CONFIG).checks


def _folder_of(package: str) -> Path:
    _, _, target, name = package.split(".")
    return EXAMPLES / target / name


def _judge(bundles, folder: Path, check: str) -> tuple[int, int]:
    """(subjects examined, subjects failed) by one check on one example folder."""
    config = folder / "dxguard.yaml"
    if not config.exists():
        config = folder.parent / "dxguard.yaml"
    bundle = bundles(config if config.exists() else DEFAULT_CONFIG)
    files = [str(p) for p in sorted(folder.rglob("*")) if p.is_file() and p.name != "dxguard.yaml"]
    loaded = load(files)
    evaluation = bundle.evaluate_all(loaded.resources, AS_OF)
    failed = sum(1 for r in evaluation.failures if r.check == check)
    passed = Counter()
    for (cid, _), n in evaluation.passes.items():
        passed[cid] += n
    return passed[check] + failed, failed


def test_every_check_has_good_and_bad_examples(checks):
    missing = [
        f"{c.id} ({_folder_of(c.package).relative_to(FIXTURES)})"
        for c in checks
        if not (
            (_folder_of(c.package) / "good").is_dir() and (_folder_of(c.package) / "bad").is_dir()
        )
    ]
    assert missing == []


def test_good_examples_are_examined_and_pass(bundles, checks):
    wrong = []
    for c in checks:
        good = _folder_of(c.package) / "good"
        if good.is_dir():
            examined, failed = _judge(bundles, good, c.id)
            if examined == 0 or failed:
                wrong.append(f"{c.id}: examined {examined}, failed {failed}")
    assert wrong == []


def test_bad_examples_fail(bundles, checks):
    wrong = []
    for c in checks:
        bad = _folder_of(c.package) / "bad"
        if bad.is_dir():
            _, failed = _judge(bundles, bad, c.id)
            if not failed:
                wrong.append(c.id)
    assert wrong == []
