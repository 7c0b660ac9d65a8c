"""One status per subject, over the whole bundle on the real OPA: no (check, resource, path,
subject) is stated twice in any fixture set, and an object judged alone gets the same rows as in
the whole set. Also: the inventory the Rego tests build (lib.fixtures_test.inventory_of) is the
one checker/inventory.py builds, so opa tests exercise the real shape."""

from __future__ import annotations

import json
import subprocess

import pytest
from subjects import duplicate_subjects, evaluate

from checker.inventory import DERIVED, build_inventory
from checker.loaders import load

from conftest import AS_OF, FIXTURES, ROOT, opa_path

# The fixture sets of the baselines, with their configs.
SETS = {
    "demo": (["fixtures/k8s", "fixtures/vm", "fixtures/images"], "fixtures/dxguard.yaml"),
    "k8s-default": (["fixtures/k8s"], None),
    "vm": (["fixtures/vm"], "fixtures/vm/dxguard.yaml"),
    "images": (["fixtures/images"], "fixtures/images/dxguard.yaml"),
    "stdin": (["fixtures/stdin"], "fixtures/stdin/pr-check.dxguard.yaml"),
}

# Every example folder of every check (fixtures/checks/<family>/<check>/{good,bad}), with the
# config beside it or the default one.
EXAMPLES = sorted(p for p in (FIXTURES / "checks").glob("*/*/*") if p.name in ("good", "bad"))


def example_config(folder):
    own = folder / "dxguard.yaml"
    return str(own) if own.is_file() else "fixtures/dxguard.yaml"


def test_duplicate_subjects_names_an_identity_stated_twice() -> None:
    rows = [
        {"check": "C", "resource": "r", "path": "p", "status": "pass"},
        {"check": "C", "resource": "r", "path": "p", "status": "fail", "message": "m"},
        {
            "check": "C",
            "resource": "r",
            "path": "p",
            "subject": "s",
            "status": "fail",
            "message": "m",
        },
        {"check": "C", "resource": "r", "path": "q", "status": "pass"},
        {"check": "D", "resource": "r", "path": "p", "status": "pass"},
    ]
    assert duplicate_subjects(rows) == [("C", "r", "p", "")]
    assert duplicate_subjects(rows[1:]) == []


@pytest.mark.parametrize("name", sorted(SETS))
def test_each_subject_has_one_status_in_every_fixture_set(name: str) -> None:
    paths, config = SETS[name]
    with evaluate(paths, config, opa_path(), AS_OF) as bundle:
        rows = bundle.rows()
    assert rows, f"{name}: no rows at all"
    assert duplicate_subjects(rows) == []


@pytest.mark.parametrize("folder", EXAMPLES, ids=lambda p: str(p.relative_to(FIXTURES / "checks")))
def test_each_subject_has_one_status_in_every_check_example(folder) -> None:
    with evaluate([str(folder)], example_config(folder), opa_path(), AS_OF) as bundle:
        rows = bundle.rows()
    assert rows
    assert duplicate_subjects(rows) == []


def test_an_object_judged_alone_gets_the_rows_it_gets_in_the_whole_set() -> None:
    paths, config = SETS["demo"]
    with evaluate(paths, config, opa_path(), AS_OF) as bundle:
        whole: dict[str, list] = {}
        for row in bundle.object_rows():
            whole.setdefault(row["resource"], []).append(row)
        assert whole
        for res in bundle.resources:
            alone = bundle.object_rows([res])
            key = lambda r: json.dumps(r, sort_keys=True)  # noqa: E731
            assert sorted(map(key, alone)) == sorted(map(key, whole.get(res.id, []))), res.id


def test_the_rego_test_inventory_is_the_one_checker_builds() -> None:
    loaded = load(["fixtures/k8s", "fixtures/vm", "fixtures/images"])
    resources = loaded.resources
    wanted = {r.kind for r in resources} | set(DERIVED)
    expected = build_inventory(resources, wanted)
    proc = subprocess.run(
        [
            str(opa_path()),
            "eval",
            "--format",
            "json",
            "--stdin-input",
            "-d",
            str(ROOT / "rego" / "lib"),
            "data.lib.fixtures_test.inventory_of(input.resources)",
        ],
        input=json.dumps({"resources": [r.to_input() for r in resources]}),
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    got = json.loads(proc.stdout)["result"][0]["expressions"][0]["value"]
    assert got["k8s"] and got["namespaces"] and got["images"] and got["image_users"]
    assert got == json.loads(json.dumps(expected))
