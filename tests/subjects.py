"""Evaluating the whole policy bundle on the real OPA, the way a scan does it, and finding the
subjects a result states more than once.

Every check states each subject it examines once (lib.check.subject), so every
(check, resource, path, subject) has exactly one status in a run. `duplicate_subjects` names the
identities that break this; `evaluate` produces the rows to look at: object_results for every
loaded object in one query (a scan chunk) plus cluster_results once, with data.inventory built
by checker/inventory.py from what the checks declare.
"""

from __future__ import annotations

import json
import urllib.request
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from checker.config import load_config
from checker.engine.server import ManagedOpa
from checker.inventory import DERIVED, build_inventory
from checker.loaders import load
from checker.model import Resource

ROOT = Path(__file__).resolve().parent.parent

Identity = tuple[str, str, str, str]


def subject_identity(row: dict[str, Any]) -> Identity:
    """What a row is about: its check, resource, field path and subject name ("" for none)."""
    return (row["check"], row["resource"], row["path"], row.get("subject") or "")


def duplicate_subjects(rows: Iterable[dict[str, Any]]) -> list[Identity]:
    """The identities that more than one row states (whatever their status or message)."""
    counts = Counter(subject_identity(r) for r in rows)
    return sorted(i for i, n in counts.items() if n > 1)


class Bundle:
    """A running OPA with the policy bundle and the inventory of a set of resources."""

    def __init__(self, opa: ManagedOpa, resources: list[Resource], as_of: str):
        self.opa = opa
        self.resources = resources
        self.context = {"as_of": as_of}

    def query(self, rule: str, resources: list[Resource] | None) -> list[dict[str, Any]]:
        body: dict[str, Any] = {"context": self.context}
        if resources is not None:
            body["resources"] = [r.to_input() for r in resources]
        req = urllib.request.Request(
            f"http://{self.opa.host}:{self.opa.port}/v1/data/dxguard/main/{rule}",
            data=json.dumps({"input": body}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=120) as resp:
            answer = json.load(resp)
        assert "result" in answer, f"OPA gave no result for {rule}: {answer}"
        return answer["result"]

    def object_rows(self, resources: list[Resource] | None = None) -> list[dict[str, Any]]:
        return self.query("object_results", self.resources if resources is None else resources)

    def cluster_rows(self) -> list[dict[str, Any]]:
        return self.query("cluster_results", None)

    def rows(self) -> list[dict[str, Any]]:
        return self.object_rows() + self.cluster_rows()


@contextmanager
def evaluate(
    paths: list[str],
    config: str | None,
    opa_binary: Path,
    as_of: str,
    policy: list[Path] | None = None,
) -> Iterator[Bundle]:
    """The bundle (rego/ without tests, unless `policy` names files) loaded into a managed OPA,
    with the config and the inventory of the resources read from `paths`."""
    loaded = load(paths)
    cfg = load_config(config)
    wanted = {r.kind for r in loaded.resources} | set(DERIVED)
    data = {
        "dxguard": {"config": cfg.policy_data()},
        "inventory": build_inventory(loaded.resources, wanted),
    }
    if policy is None:
        policy = sorted(
            p for p in (ROOT / "rego").rglob("*.rego") if not p.name.endswith("_test.rego")
        )
    with ManagedOpa(opa_binary, policy, data) as opa:
        yield Bundle(opa, loaded.resources, as_of)
