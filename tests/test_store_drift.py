"""Drift between periods by finding identity, on SQLite and PostgreSQL: findings that appear,
stay open, resolve and regress, per scope; and how auditors' period names become bounds."""

from __future__ import annotations

import hashlib
import json

import pytest

from checker.errors import UsageError
from checker.store import Blob, opened
from checker.store.drift import NEW, REGRESSED, RESOLVED, STILL_OPEN, RunFindings, classify, drift
from checker.store.periods import period_bounds

pytest_plugins = ("pg_cluster",)


def _fp(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()


def _report(*names: str, waived: tuple[str, ...] = ()) -> dict:
    return {
        "findings": [
            {
                "fingerprint": _fp(n),
                "id": "F" + _fp(n)[:16],
                "status": "waived" if n in waived else "failed",
                "check": f"DXG-CHECK-{n}",
                "severity": "high",
                "resource": {"kind": "Deployment", "namespace": "lab", "name": n.lower()},
            }
            for n in names
        ]
    }


def _run(store, scope: str, *names: str, waived: tuple[str, ...] = ()):
    report = _report(*names, waived=waived)
    return store.append(
        "run",
        {"scope": scope},
        {"report": Blob(json.dumps(report).encode(), "application/json")},
        report=report,
    )


def _states(result) -> dict[str, str]:
    return {e.check.removeprefix("DXG-CHECK-"): e.state for e in result.entries}


def test_findings_appear_stay_open_resolve_and_regress_between_periods(store_location):
    with opened(store_location) as store:
        _run(store, "repo", "A", "B", "F")  # earlier period
        _run(store, "repo", "A", "B", "C")  # F resolved before the period
        store.append("decision", {"scope": "repo", "allowed": True})  # not a run: ignored
        r3 = _run(store, "repo", "A", "C", "D", "G")  # the period starts here: B absent
        _run(store, "other", "A", "Z")  # another scope never mixes in
        _run(store, "repo", "A", "B", "D", "G")  # B back
        r5 = _run(store, "repo", "A", "B", "D", "E", "F", waived=("D",))
        after = _run(store, "repo", "A")  # after the period: ignored
        (result,) = drift(store, r3.recorded_at, after.recorded_at, scope="repo")
    assert result.runs == [r3.seq, r3.seq + 2, r5.seq]
    assert result.baseline == 2
    assert _states(result) == {
        "A": STILL_OPEN,  # open at the start and in every run of the period
        "B": REGRESSED,  # open at the start, gone in the first run, back at the end
        "C": RESOLVED,  # open at the start, gone at the end
        "D": NEW,  # first seen in the period, open at its end (waived there)
        "E": NEW,
        "F": REGRESSED,  # seen long before, resolved before the period, back in it
        "G": RESOLVED,  # appeared and was resolved within the period
    }
    d = next(e for e in result.entries if e.check.endswith("-D"))
    assert d.status == "waived" and d.first_seen[0] == r3.seq and d.last_seen[0] == r5.seq
    f = next(e for e in result.entries if e.check.endswith("-F"))
    assert f.first_seen[0] == 1 and not f.open_at_start and f.open_at_end
    assert result.counts() == {NEW: 2, REGRESSED: 2, STILL_OPEN: 1, RESOLVED: 2}
    assert result.to_json()["findings"][0]["state"] == NEW


def test_drift_without_a_scope_is_computed_per_scope(store_location):
    with opened(store_location) as store:
        first = _run(store, "cluster-a", "A")
        _run(store, "repo", "B")
        last = _run(store, "cluster-a", "C")
        results = drift(store, first.recorded_at, "9999-01-01T00:00:00.000000Z")
    assert [r.scope for r in results] == ["cluster-a", "repo"]
    assert _states(results[0]) == {"A": RESOLVED, "C": NEW}
    assert _states(results[1]) == {"B": NEW}
    assert results[0].runs == [first.seq, last.seq] and results[0].baseline is None


def test_a_period_without_runs_has_no_drift():
    assert classify([RunFindings(1, "t", {"x": {}})], []) == []


@pytest.mark.parametrize(
    ("text", "since", "until"),
    [
        ("2026-Q4", "2026-10-01T00:00:00.000000Z", "2027-01-01T00:00:00.000000Z"),
        ("2026q1", "2026-01-01T00:00:00.000000Z", "2026-04-01T00:00:00.000000Z"),
        ("2026-12", "2026-12-01T00:00:00.000000Z", "2027-01-01T00:00:00.000000Z"),
        ("2026", "2026-01-01T00:00:00.000000Z", "2027-01-01T00:00:00.000000Z"),
        ("2026-02-28", "2026-02-28T00:00:00.000000Z", "2026-03-01T00:00:00.000000Z"),
        (
            "2026-10-01..2026-10-02T12:00:00+02:00",
            "2026-10-01T00:00:00.000000Z",
            "2026-10-02T10:00:00.000000Z",
        ),
    ],
)
def test_period_names_become_half_open_utc_bounds(text, since, until):
    assert period_bounds(text) == (since, until)


@pytest.mark.parametrize("text", ["2026-Q5", "2026-13", "last quarter", "2026-02-30", "2027..2026"])
def test_a_period_dxguard_cannot_read_is_a_usage_error(text):
    with pytest.raises(UsageError):
        period_bounds(text)


def test_store_drift_prints_each_scopes_drift(store_location):
    from conftest import dxguard

    with opened(store_location) as store:
        _run(store, "repo", "A", "B")
        _run(store, "repo", "B", "C")
    run = dxguard(
        "store", "drift", "2000-01-01..9999-01-01", "--store", store_location, "--format", "json"
    )
    assert run.code == 0, run.stderr
    (result,) = run.json()
    assert result["scope"] == "repo" and result["runs"] == [1, 2]
    assert result["counts"] == {"new": 2, "regressed": 0, "still-open": 0, "resolved": 1}
    text = dxguard("store", "drift", "2000-01-01..9999-01-01", "--store", store_location)
    assert "repo: 2 run(s)" in text.stdout and "resolved" in text.stdout
