"""The evaluation core (issue 12): checks state their subjects once, object-scope checks judge one
object against the inventory exactly as they judge it in a whole scan, every check declares its
scope and inventory, and finding identity survives rewording, reordering and input paths."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from checker.bundle import EngineSpec, open_bundle, prepare
from checker.config import load_config
from checker.inventory import DERIVED, build_inventory
from checker.loaders import load

from conftest import AS_OF, FIXTURES, ROOT, dxguard, opa_path, scan_json

FIXTURE_SETS = [
    ("fixtures/dxguard.yaml", ["fixtures/k8s", "fixtures/vm", "fixtures/images"]),
    ("fixtures/vm/dxguard.yaml", ["fixtures/vm"]),
    ("fixtures/images/dxguard.yaml", ["fixtures/images"]),
    ("fixtures/stdin/pr-check.dxguard.yaml", ["fixtures/stdin"]),
    ("fixtures/dxguard.yaml", ["fixtures/workloads"]),
    (None, ["fixtures/k8s"]),
]


@pytest.fixture(scope="module", autouse=True)
def _opa_env():
    old = os.environ.get("DXGUARD_OPA")
    os.environ["DXGUARD_OPA"] = str(opa_path())
    yield
    if old is None:
        os.environ.pop("DXGUARD_OPA", None)
    else:
        os.environ["DXGUARD_OPA"] = old


@pytest.fixture(scope="module")
def corpus_1k(tmp_path_factory) -> Path:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from generate import generate

    out = tmp_path_factory.mktemp("corpus") / "1k"
    generate(1000, out)
    return out


def _rows(engine, rule: str, inp: dict) -> list[dict]:
    result = engine._query(inp, rule, rule)  # noqa: SLF001 - the raw rows, passes included
    assert isinstance(result, list)
    return result


def _key(row: dict) -> tuple:
    return (row["check"], row["resource"], row["path"], row.get("subject") or "", row["status"])


def _per_object_and_whole(config_file: str | None, paths: list[str]) -> tuple[int, int, list]:
    """(objects judged alone, whole-set rows, objects whose rows differ)."""
    config = load_config(str(ROOT / config_file) if config_file else None)
    loaded = load([str(ROOT / p) for p in paths])
    mismatches = []
    with open_bundle(prepare(config, spec=EngineSpec())) as bundle:
        bundle.load_inventory(loaded.resources)
        ctx = {"as_of": AS_OF}
        whole = _rows(
            bundle.engine,
            "object_results",
            {"resources": [r.to_input() for r in loaded.resources], "context": ctx},
        )
        by_resource: dict[str, list[tuple]] = {}
        for row in whole:
            by_resource.setdefault(row["resource"], []).append(_key(row))
        for res in loaded.resources:
            alone = _rows(
                bundle.engine, "object_results", {"resources": [res.to_input()], "context": ctx}
            )
            if sorted(map(_key, alone)) != sorted(by_resource.get(res.id, [])):
                mismatches.append(res.id)
        cluster = _rows(bundle.engine, "cluster_results", {"context": ctx})
    # one status per subject, over the whole set and the cluster
    counts = Counter(k[:4] for k in map(_key, whole + cluster))
    twice = [k for k, n in counts.items() if n > 1]
    assert twice == [], f"subjects stated more than once: {twice[:5]}"
    return len(loaded.resources), len(whole), mismatches


@pytest.mark.parametrize(("config_file", "paths"), FIXTURE_SETS)
def test_each_fixture_object_alone_gets_the_same_results_as_in_the_whole_scan(config_file, paths):
    objects, rows, mismatches = _per_object_and_whole(config_file, paths)
    assert objects > 0 and rows > 0
    assert mismatches == []


def test_each_object_of_the_1k_corpus_alone_gets_the_same_results(corpus_1k):
    objects, rows, mismatches = _per_object_and_whole(None, [str(corpus_1k)])
    assert objects >= 1000 and rows > objects
    assert mismatches == []


def test_every_check_declares_its_scope_and_what_it_reads():
    with open_bundle(prepare(load_config(None))) as bundle:
        checks = bundle.checks
    assert {c.scope for c in checks} == {"object", "cluster"}
    for c in checks:
        for kind in c.inventory:
            assert kind in DERIVED or kind[0].isupper(), (c.id, kind)
    cluster = {c.id for c in checks if c.scope == "cluster"}
    assert "DXG-K8S-ISO-013" in cluster  # default-deny per clinical namespace judges the cluster
    assert "DXG-K8S-ISO-001" not in cluster  # privileged containers: one object at a time


def test_a_cluster_check_never_reads_the_objects_under_review():
    """Cluster rows come from the inventory alone: the same with and without input objects."""
    config = load_config(str(FIXTURES / "dxguard.yaml"))
    loaded = load([str(FIXTURES / "k8s")])
    with open_bundle(prepare(config)) as bundle:
        bundle.load_inventory(loaded.resources)
        ctx = {"as_of": AS_OF}
        bare = _rows(bundle.engine, "cluster_results", {"context": ctx})
        with_input = _rows(
            bundle.engine,
            "cluster_results",
            {"resources": [r.to_input() for r in loaded.resources], "context": ctx},
        )
    assert bare and sorted(map(_key, bare)) == sorted(map(_key, with_input))


def test_the_inventory_holds_only_what_the_checks_declare():
    config = load_config(str(FIXTURES / "dxguard.yaml"))
    with open_bundle(prepare(config)) as bundle:
        kinds = bundle.inventory_kinds()
    assert "Namespace" in kinds and "namespaces" in kinds
    assert "Deployment" not in kinds  # workloads reach cluster checks as summaries only


def test_a_check_emitting_a_row_for_an_object_not_under_review_is_an_engine_error(project_copy):
    bad = project_copy / "rego" / "k8s" / "privileged.rego"
    text = bad.read_text()
    bad.write_text(
        text
        + '\nsubjects contains check.subject("not-in-the-batch", "spec", "") if {\n'
        + "\tsome _ in k8s.workload_containers\n}\n"
    )
    run = dxguard(
        "scan", str(FIXTURES / "k8s" / "compliant"), env={"DXGUARD_HOME": str(project_copy)}
    )
    assert run.code == 2
    assert "not-in-the-batch" in run.stderr and "not in the batch" in run.stderr


# -- finding identity -----------------------------------------------------------------------------


def _ids(report: dict) -> dict[tuple, str]:
    return {
        (f["check"], f["resource"]["kind"], f["resource"]["name"], f["path"], f.get("subject")): f[
            "id"
        ]
        for f in report["findings"]
    }


def test_finding_ids_do_not_depend_on_how_the_input_path_is_typed(tmp_path):
    target = FIXTURES / "k8s" / "noncompliant"
    _, relative = scan_json("fixtures/k8s/noncompliant")
    _, dotted = scan_json("./fixtures/k8s/noncompliant")
    _, absolute = scan_json(str(target))
    copy = tmp_path / "elsewhere"
    shutil.copytree(target, copy)
    _, moved = scan_json(str(copy))
    assert relative["findings"]
    assert _ids(relative) == _ids(dotted) == _ids(absolute) == _ids(moved)


def test_finding_ids_do_not_depend_on_document_order(tmp_path):
    source = (FIXTURES / "k8s" / "noncompliant" / "inference-list.yaml").read_text()
    docs = [d for d in source.split("\n---\n") if d.strip()]
    one = tmp_path / "a" / "x.yaml"
    two = tmp_path / "b" / "x.yaml"
    one.parent.mkdir()
    two.parent.mkdir()
    one.write_text("\n---\n".join(docs))
    two.write_text(
        "---\n# a comment and an empty document first\n---\n" + "\n---\n".join(reversed(docs))
    )
    _, first = scan_json(str(one))
    _, second = scan_json(str(two))
    assert first["findings"]
    assert _ids(first) == _ids(second)


def test_finding_ids_do_not_depend_on_the_message(project_copy):
    check = project_copy / "rego" / "k8s" / "privileged.rego"
    text = check.read_text()
    assert "runs privileged" in text
    check.write_text(text.replace("runs privileged", "is privileged (reworded)"))
    target = str(FIXTURES / "k8s" / "noncompliant")
    _, before = scan_json(target)
    _, after = scan_json(target, env={"DXGUARD_HOME": str(project_copy)})
    priv = {k: v for k, v in _ids(before).items() if k[0] == "DXG-K8S-ISO-001"}
    assert priv
    reworded = [f for f in after["findings"] if f["check"] == "DXG-K8S-ISO-001"]
    assert all("reworded" in f["message"] for f in reworded)
    assert priv == {k: v for k, v in _ids(after).items() if k[0] == "DXG-K8S-ISO-001"}


def test_the_same_object_written_twice_gives_distinct_ids(tmp_path):
    pod = (FIXTURES / "k8s" / "noncompliant" / "research-notebook-pod.yaml").read_text()
    (tmp_path / "a.yaml").write_text(pod)
    (tmp_path / "b.yaml").write_text(pod)
    _, report = scan_json(str(tmp_path))
    ids = [f["id"] for f in report["findings"]]
    assert ids and len(ids) == len(set(ids))
    _, alone = scan_json(str(tmp_path / "a.yaml"))
    assert set(_ids(alone).values()) <= set(ids)  # the first copy keeps the ids it has alone


def _unique_ids_and_fingerprints(report: dict, sarif: dict) -> None:
    ids = [f["id"] for f in report["findings"]]
    assert len(ids) == len(set(ids))
    prints = [
        r["partialFingerprints"]["dxguardFinding/v2"]
        for run in sarif["runs"]
        for r in run["results"]
    ]
    assert len(prints) == len(set(prints))


def test_no_two_findings_or_sarif_results_share_an_id_on_the_fixtures(tmp_path):
    sarif = tmp_path / "r.sarif"
    _, report = scan_json(
        "fixtures/k8s",
        "fixtures/vm",
        "fixtures/images",
        "-c",
        "fixtures/dxguard.yaml",
        "-o",
        f"sarif={sarif}",
    )
    assert len(report["findings"]) > 100
    _unique_ids_and_fingerprints(report, json.loads(sarif.read_text()))


def test_no_two_findings_or_sarif_results_share_an_id_on_the_10k_corpus(tmp_path):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from generate import generate

    corpus = tmp_path / "10k"
    generate(10000, corpus)
    sarif = tmp_path / "r.sarif"
    _, report = scan_json(str(corpus), "-o", f"sarif={sarif}", timeout=600)
    assert len(report["findings"]) > 10000
    _unique_ids_and_fingerprints(report, json.loads(sarif.read_text()))


def _profiled_files(query: str, data: dict, inp: dict, tmp_path: Path) -> set[str]:
    """The policy files OPA spent evaluation steps in for one query (opa eval --profile),
    beyond reading each check's `meta` (which the query reads to choose the checks)."""
    return {file for file, _ in _profiled_lines(query, data, inp, tmp_path)}


def _profiled_lines(query: str, data: dict, inp: dict, tmp_path: Path) -> dict[tuple, int]:
    """(policy file, line) → how many times OPA evaluated it for one query, beyond reading each
    check's `meta`."""
    (tmp_path / "data.json").write_text(json.dumps(data))
    (tmp_path / "input.json").write_text(json.dumps(inp))
    out = subprocess.run(
        [
            str(opa_path()),
            "eval",
            "--format",
            "json",
            "--profile",
            "--profile-limit",
            "0",
            "--ignore",
            "*_test.rego",
            "-d",
            str(ROOT / "rego"),
            "-d",
            str(tmp_path / "data.json"),
            "-i",
            str(tmp_path / "input.json"),
            query,
        ],  # fmt: skip
        capture_output=True,
        text=True,
        check=True,
    )
    profile = json.loads(out.stdout).get("profile", [])
    lines: dict[tuple, int] = {}
    for entry in profile:
        path = Path(entry["location"]["file"]).resolve()
        if not path.is_file():  # the query itself
            continue
        row = entry["location"]["row"]
        line = path.read_text().splitlines()[row - 1]
        if not line.startswith("meta := "):
            key = (path.relative_to(ROOT).as_posix(), row)
            lines[key] = lines.get(key, 0) + int(entry.get("num_eval", 1))
    return lines


def test_an_object_query_never_evaluates_a_cluster_check_or_rebuilds_a_constant_table(tmp_path):
    """Per-object cost is what the webhook pays per request: an object query must not step into
    any cluster-scope check (the inventory as a whole) nor rebuild API field tables that depend
    only on the bundle. The profile names every rule OPA evaluated."""
    config = load_config("fixtures/dxguard.yaml")
    loaded = load(["fixtures/k8s"])
    with open_bundle(prepare(config)) as bundle:
        checks = bundle.checks
        inventory = build_inventory(loaded.resources, bundle.inventory_kinds())
    deployment = next(r for r in loaded.resources if r.kind == "Deployment")
    lines = _profiled_lines(
        "data.dxguard.main.object_results",
        {"inventory": inventory, "dxguard": {"config": config.policy_data()}},
        {"resources": [deployment.to_input()], "context": {"as_of": AS_OF}},
        tmp_path,
    )
    cluster = {
        f"rego/{c.package.split('.')[2]}/{c.package.split('.')[3]}.rego"
        for c in checks
        if c.scope == "cluster"
    }
    assert cluster and all((ROOT / f).is_file() for f in cluster)
    files = {file for file, _ in lines}
    assert not files & cluster, f"an object query evaluated cluster checks: {files & cluster}"
    # The object was examined by ISO-019 in steps proportional to the object (a few hundred for
    # a Deployment), reading the generated tables, never building them (~27,000 steps per query
    # for any object before they were generated) ...
    steps = sum(n for (file, _), n in lines.items() if file == "rego/k8s/api_fields.rego")
    assert 0 < steps < 2_000, steps
    # ... and each constant's head evaluated once: a table built by a comprehension would
    # evaluate its body lines once per element
    generated = ("rego/lib/k8s_fields.rego", "rego/lib/workloads_table.rego")
    rebuilt = {k: n for k, n in lines.items() if k[0] in generated and n > 1}
    assert rebuilt == {}, rebuilt


def test_the_check_index_the_engine_loads_is_the_one_the_bundle_derives_itself():
    """data.dxguard.index (put by the engine so that no query reads every check's metadata) must
    name exactly the checks rego/main.rego would choose without it, disabled ones left out."""
    config = load_config("fixtures/dxguard.yaml")
    with open_bundle(prepare(config)) as bundle:
        loaded = bundle.engine._query({}, "index", "index")  # noqa: SLF001
        derived = bundle.engine._query({}, "derived index", "derived_index")  # noqa: SLF001
    assert loaded == derived
    enabled = {c.id for c in bundle.checks if c.scope == "object"} - set(config.disabled_checks)
    assert {e["id"] for e in loaded["object"]} == enabled
