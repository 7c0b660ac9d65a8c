"""Inputs the engine cannot carry are refused at load, with file and line: never a crash, a hang,
an "engine error" blamed on OPA, or a pass.

End to end through `dxguard scan` (exit 2 and a clear message on stderr, no traceback): alias
expansion bounded in bytes as well as nodes, integers beyond 64 bits (5,000 digits included),
numbers beyond float64, NaN, and nesting deeper than dxguard and OPA carry (OPA's REST API
refuses 10,000 levels: measured, see checker/loaders/limits.py), in YAML, JSON, JSON Lines and on
stdin. Messages quote at most a short excerpt of a bad value.
"""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from checker.loaders.limits import MAX_DEPTH

from conftest import dxguard, opa_path, scan_json

HEAD = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n"
JSON_HEAD = '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "x": '
POD_HEAD = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers: []\n"


def _megabyte_bomb() -> str:
    big = "x" * (1024 * 1024)
    return HEAD + f"  a: &a {big}\n  b: [{', '.join(['*a'] * 80)}]\n"


def _node_bomb() -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    return HEAD + "".join(f"  {line}\n" for line in lines)


def _deep_block(depth: int) -> str:
    return (
        HEAD + "".join("  " * (i + 1) + "k:\n" for i in range(depth)) + "  " * (depth + 1) + "v\n"
    )


def _deep_indentation(depth: int) -> str:
    return "a:\n" + "".join(" " * (i + 1) + "a:\n" for i in range(depth))


CASES = {
    # name: (file name, content, words of the message, line)
    "alias bytes": ("bomb.yaml", _megabyte_bomb(), "64 MiB", 7),
    "alias nodes": ("nodes.yaml", _node_bomb(), "2,000,000 nodes", None),
    "5,000-digit integer": ("big.yaml", POD_HEAD + f"  priority: {'9' * 5000}\n", "64 bits", 7),
    "integer just over 64 bits": ("u65.yaml", POD_HEAD + "  priority: 18446744073709551616\n",
                                  "64 bits", 7),
    "hex integer over 64 bits": ("hex.yaml", POD_HEAD + "  priority: 0x1_0000_0000_0000_0000\n",
                                 "64 bits", 7),
    "negative integer under int64": ("neg.yaml", POD_HEAD + "  priority: -9223372036854775809\n",
                                     "64 bits", 7),
    "float overflow": ("inf.yaml", POD_HEAD + "  terminationGracePeriodSeconds: 1e400\n",
                       "infinity", 7),
    "NaN": ("nan.yaml", POD_HEAD + "  x: .NaN\n", "NaN", 7),
    "flow nesting": ("flow.yaml", HEAD + "  x: " + "[" * 300 + "]" * 300 + "\n",
                     f"{MAX_DEPTH} levels", 6),
    "block nesting": ("block.yaml", _deep_block(300), f"{MAX_DEPTH} levels", None),
    "libyaml's limit": ("seq.yaml", "- " * 100_000 + "x\n", "1,000 levels", 1),
    "deep indentation": ("indent.yaml", _deep_indentation(3000), "levels", None),
    "JSON integer": ("big.json", JSON_HEAD + "9" * 5000 + "}", "64 bits", 1),
    "JSON float": ("inf.json", JSON_HEAD + "\n-1e999}", "infinity", 2),
    "JSON NaN": ("nan.json", JSON_HEAD + "NaN}", "NaN is not JSON", 1),
    "JSON nesting": ("deep.json", JSON_HEAD + "[" * 300 + "]" * 300 + "}", f"{MAX_DEPTH} levels",
                     1),
    "JSON nesting beyond Python's": ("deeper.json", JSON_HEAD + "[" * 99_999 + "]" * 99_999 + "}",
                                     f"{MAX_DEPTH} levels", 1),
    "JSON Lines": ("evidence.jsonl", '{"a": ' + "1" * 30 + "}\n", "64 bits", 1),
}  # fmt: skip


@pytest.mark.parametrize("case", list(CASES))
def test_a_value_the_engine_cannot_carry_is_refused_at_load_with_file_and_line(tmp_path, case):
    name, content, words, line = CASES[case]
    (tmp_path / name).write_text(content, encoding="utf-8")
    run = dxguard("scan", "-q", str(tmp_path), timeout=120)
    assert run.code == 2, (run.code, run.stderr[-500:])
    assert "input error" in run.stderr and "engine error" not in run.stderr
    assert "Traceback" not in run.stderr
    assert words in run.stderr, run.stderr
    where = f"{name}:{line}" if line else f"{name}:"
    assert where in run.stderr, run.stderr
    assert len(run.stderr) < 800  # an excerpt of the value, never the value


def test_the_same_bounds_hold_on_stdin():
    run = dxguard("scan", "-q", "-", stdin=POD_HEAD + f"  priority: {'7' * 4400}\n")
    assert run.code == 2 and "<stdin>:7" in run.stderr and "64 bits" in run.stderr
    assert len(run.stderr) < 800


def test_nesting_at_the_bound_is_examined_and_one_level_more_is_refused(tmp_path):
    def config_map(depth: int) -> str:  # the document itself is 2 levels: {data: {x: ...}}
        inner = "[" * (depth - 2) + "]" * (depth - 2)
        return HEAD + f"  x: {inner}\n"

    (tmp_path / "ok.yaml").write_text(config_map(MAX_DEPTH))
    _, report = scan_json(str(tmp_path / "ok.yaml"))
    assert report["run"]["inputs"][0]["resources"] == 1
    (tmp_path / "deep.yaml").write_text(config_map(MAX_DEPTH + 1))
    run = dxguard("scan", "-q", str(tmp_path / "deep.yaml"))
    assert run.code == 2 and f"more than {MAX_DEPTH} levels" in run.stderr


def test_an_anchor_reused_within_the_bounds_is_read(tmp_path):
    text = HEAD + "  a: &a " + "x" * 1000 + "\n  b: [" + ", ".join(["*a"] * 100) + "]\n"
    (tmp_path / "ok.yaml").write_text(text)
    _, report = scan_json(str(tmp_path))
    assert report["run"]["inputs"][0]["resources"] == 1


def test_opas_own_nesting_limit_is_what_the_limits_module_says():
    """The measurement behind limits.py, repeated: OPA's REST API accepts a request body nested
    10,000 levels deep and refuses one nested 10,001 levels (Go encoding/json's limit)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [str(opa_path()), "run", "--server", "--addr", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        codes = {}
        for depth in (9_998, 9_999):  # inside {"input": {"x": ...}}: 10,000 and 10,001 levels
            body = '{"input": {"x": ' + "[" * depth + "]" * depth + "}}"
            codes[depth] = _post(f"http://127.0.0.1:{port}/v1/data", body.encode())
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert codes == {9_998: 200, 9_999: 400}


def _post(url: str, body: bytes) -> int:
    for _ in range(200):
        try:
            request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status
        except urllib.error.HTTPError as err:
            return err.code
        except urllib.error.URLError:
            time.sleep(0.1)  # the server is still starting
    raise AssertionError("OPA did not answer")


def test_error_messages_quote_an_excerpt_of_a_long_bad_value(tmp_path):
    Path(tmp_path / "tag.yaml").write_text(HEAD + "  x: !!int " + "z" * 100_000 + "\n")
    run = dxguard("scan", "-q", str(tmp_path))
    assert run.code == 2 and "cannot decode" in run.stderr and "100,000 characters" in run.stderr
    assert len(run.stderr) < 800
