"""Loaders keep every resource's source, report what they skip, and refuse bad input clearly."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from checker.errors import InputError
from checker.loaders import load
from checker.loaders.locate import Locator, line_of_path, parse_path
from checker.loaders.yamldocs import parse_documents

POD = """apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
    - name: app
      image: nginx:1.27
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_multi_document_file_keeps_document_index_and_line(tmp_path):
    f = write(tmp_path, "multi.yaml", "---\n" + POD + "---\n" + POD.replace("name: p", "name: q"))
    result = load([str(f)])
    assert [(r.name, r.source.document, r.source.line) for r in result.resources] == [
        ("p", 0, 2),
        ("q", 1, 11),
    ]
    assert result.inputs[0].documents == 2
    assert result.inputs[0].resources == 2


def test_kind_list_is_unpacked_with_item_lines(tmp_path):
    text = "apiVersion: v1\nkind: List\nitems:\n" + "".join(
        "  - " + POD.replace("name: p", f"name: p{i}").replace("\n", "\n    ").rstrip() + "\n"
        for i in range(2)
    )
    f = write(tmp_path, "list.yaml", text)
    result = load([str(f)])
    assert [r.name for r in result.resources] == ["p0", "p1"]
    assert [r.source.item for r in result.resources] == [0, 1]
    assert result.resources[1].source.line == 12
    assert result.resources[1].id.endswith("#0.1")


def test_json_manifest_is_read_with_json_semantics(tmp_path):
    f = write(
        tmp_path,
        "pod.json",
        '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "j", '
        '"annotations": {"x": "\\ud83d\\ude00", "n": "1e5"}}, "spec": {"containers": []}}',
    )
    result = load([str(f)])
    (res,) = result.resources
    assert res.name == "j"
    assert res.object["metadata"]["annotations"]["x"] == "\U0001f600"


def test_directory_is_recursive_sorted_and_notes_non_manifest_files(tmp_path):
    write(tmp_path, "b/pod.yaml", POD)
    write(tmp_path, "a/pod.yml", POD.replace("name: p", "name: a"))
    write(tmp_path, "README.md", "# not a manifest")
    write(tmp_path, ".git/config.yaml", POD)  # hidden folders are not read
    result = load([str(tmp_path)])
    assert [r.name for r in result.resources] == ["a", "p"]
    assert [(Path(s.file).name, "not an input file" in s.reason) for s in result.skipped] == [
        ("README.md", True)
    ]


def test_stdin_is_read_with_dash():
    result = load(["-"], stdin=io.StringIO(POD))
    (res,) = result.resources
    assert res.source.file == "<stdin>"
    assert result.inputs[0].path == "<stdin>"


def test_document_that_is_not_a_kubernetes_object_is_reported_not_dropped(tmp_path):
    f = write(tmp_path, "mixed.yaml", POD + "---\nreplicaCount: 2\n---\n- a\n- b\n---\n")
    result = load([str(f)])
    assert len(result.resources) == 1
    reasons = [(s.document, s.line, s.reason) for s in result.skipped]
    assert reasons[0][:2] == (1, 10) and "apiVersion or kind" in reasons[0][2]
    assert reasons[1][:2] == (2, 12) and "list" in reasons[1][2]


def test_malformed_yaml_names_file_and_line(tmp_path):
    f = write(tmp_path, "bad.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: [unclosed\n")
    with pytest.raises(InputError) as err:
        load([str(f)])
    assert f"{f}:5:" in str(err.value) or f"{f}:4:" in str(err.value)
    assert "malformed YAML" in str(err.value)


def test_alias_bomb_is_refused(tmp_path):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        prev = f"*a{i - 1}"
        lines.append(f"a{i}: &a{i} [{', '.join([prev] * 10)}]")
    f = write(tmp_path, "bomb.yaml", "\n".join(lines) + "\n")
    with pytest.raises(InputError, match="alias bomb"):
        load([str(f)])


def test_recursive_anchor_is_refused(tmp_path):
    f = write(tmp_path, "loop.yaml", "a: &x\n  b: *x\n")
    with pytest.raises(InputError, match="recursive alias"):
        load([str(f)])


def test_oversized_file_is_refused_before_reading(tmp_path):
    f = write(tmp_path, "big.yaml", POD * 50)
    with pytest.raises(InputError, match="over the 100-byte limit"):
        load([str(f)], max_file_bytes=100)


def test_binary_file_is_refused_with_line(tmp_path):
    f = tmp_path / "bin.yaml"
    f.write_bytes(b"apiVersion: v1\nkind: \xff\xfe\n")
    with pytest.raises(InputError, match=r"bin\.yaml:2: not UTF-8"):
        load([str(f)])


def test_missing_path_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="no such file or directory"):
        load([str(tmp_path / "nope.yaml")])


def test_container_list_of_wrong_type_is_refused_at_its_line(tmp_path):
    f = write(
        tmp_path,
        "shape.yaml",
        POD.replace(
            "  containers:\n    - name: app\n      image: nginx:1.27\n", "  containers: nginx\n"
        ),
    )
    with pytest.raises(InputError) as err:
        load([str(f)])
    assert f"{f}:6:" in str(err.value)
    assert "spec.containers must be a list" in str(err.value)


def test_line_of_path_follows_the_path_and_stops_at_the_nearest_parent():
    (doc,) = parse_documents(POD, "pod.yaml")
    assert line_of_path(doc.node, parse_path("spec.containers[0].image")) == 8
    assert line_of_path(doc.node, parse_path("spec.containers[0].securityContext.x")) == 7
    assert parse_path("a.b[2].c") == ["a", "b", 2, "c"]


def test_locator_resolves_lines_for_list_items_and_stdin(tmp_path):
    text = "apiVersion: v1\nkind: List\nitems:\n  - " + POD.replace("\n", "\n    ").rstrip() + "\n"
    result = load(["-"], stdin=io.StringIO(text))
    locate = Locator(result)
    (res,) = result.resources
    assert locate(res.id, "spec.containers[0].image") == 11


def _locator_case() -> tuple:
    """Every fixture manifest, and for each resource paths that exist, stop early or point past
    the end: the pairs a report asks the Locator for."""
    from checker.loaders import locate

    result = load([str(Path(__file__).resolve().parent.parent / "fixtures" / "k8s")])
    pairs = []
    for r in result.resources:
        pairs += [
            (r.id, "metadata.name"),
            (r.id, "spec.template.spec.containers[0].securityContext.runAsNonRoot"),
            (r.id, "spec.template.spec.containers[1].image"),
            (r.id, "spec.containers[0].resources.limits.memory"),
            (r.id, "no.such[3].field"),
        ]
    serial = locate.Locator(result)
    expected = [serial(*p) for p in pairs]  # each document indexed whole: no prefetch at all
    return locate, result, pairs, expected


def test_prefetch_split_across_a_forked_child_gives_the_same_lines(monkeypatch):
    locate, result, pairs, expected = _locator_case()
    assert len({r.source.file for r in result.resources}) > 4
    real_fork = locate._fork
    for minimum in (10**9, 1):  # walked in this process only; half of the files in a child
        monkeypatch.setattr(locate, "PARALLEL_MIN_DOCUMENTS", minimum)
        forks: list[int] = []

        def counting_fork(work, forks=forks):
            forks.append(1)
            return real_fork(work)

        monkeypatch.setattr(locate, "_fork", counting_fork)
        locator = locate.Locator(result, fork=True)
        locator.prefetch(pairs)
        assert [locator(*p) for p in pairs] == expected
        assert len(locator._answers) == len(set(pairs))  # every pair answered by the prefetch
        assert forks == ([1] if minimum == 1 else [])


def test_the_locator_forks_only_when_its_front_door_allows_it(monkeypatch):
    locate, result, pairs, expected = _locator_case()
    monkeypatch.setattr(locate, "PARALLEL_MIN_DOCUMENTS", 1)
    monkeypatch.setattr(locate, "_fork", lambda work: pytest.fail("forked without leave"))
    locator = locate.Locator(result)  # a library default: no helper process
    locator.prefetch(pairs)
    assert [locator(*p) for p in pairs] == expected


def test_a_failing_child_leaves_its_half_to_the_parent(monkeypatch):
    import os

    locate, result, pairs, expected = _locator_case()
    monkeypatch.setattr(locate, "PARALLEL_MIN_DOCUMENTS", 1)
    parent = os.getpid()
    real_resolve = locate.Locator._resolve

    def resolve_but_die_in_the_child(self, work):
        if os.getpid() != parent:
            raise RuntimeError("the child fails")
        return real_resolve(self, work)

    monkeypatch.setattr(locate.Locator, "_resolve", resolve_but_die_in_the_child)
    locator = locate.Locator(result, fork=True)
    locator.prefetch(pairs)
    assert [locator(*p) for p in pairs] == expected
    assert len(locator._answers) == len(set(pairs))


# -- Kubernetes value semantics and the fast path -------------------------------------------------


def test_dates_and_binary_stay_text_as_kubernetes_reads_them(tmp_path):
    f = write(tmp_path, "cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n"
              "data:\n  released: 2026-11-26\n  blob: !!binary aGVsbG8=\n")  # fmt: skip
    (res,) = load([str(f)]).resources
    assert res.object["data"] == {"released": "2026-11-26", "blob": "aGVsbG8="}


@pytest.mark.parametrize("text", ["x: .nan\n", "x: -.inf\n"])
def test_nan_and_infinity_are_input_errors_at_their_line(tmp_path, text):
    f = write(tmp_path, "nan.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n"
              "data:\n  " + text)  # fmt: skip
    with pytest.raises(InputError, match=r"nan\.yaml:6:.*cannot be represented in JSON"):
        load([str(f)])


def test_nan_in_json_is_an_input_error(tmp_path):
    f = write(tmp_path, "nan.json", '{"apiVersion": "v1", "kind": "ConfigMap", "data": {"x": NaN}}')
    with pytest.raises(InputError, match="NaN is not JSON"):
        load([str(f)])


FIXTURE_FILES = sorted(
    p for p in (Path(__file__).resolve().parent.parent / "fixtures").rglob("*.y*ml")
)


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: p.name)
def test_fast_path_gives_exactly_the_libyaml_values_and_lines(path):
    text = path.read_text()
    fast = parse_documents(text, str(path))
    slow = parse_documents(text, str(path), fast=False)
    assert [(d.index, d.line, d.value) for d in fast] == [(d.index, d.line, d.value) for d in slow]


@pytest.mark.parametrize(
    "text",
    [
        "a: yes\nb: off\n",  # YAML 1.1 booleans
        "mode: 0644\n",  # YAML 1.1 octal
        "n: 1_000\n",  # underscores
        "t: 1:30\n",  # sexagesimal
        "x: 1e5\n",  # 1.1 reads a string, 1.2 a float
        "a: &anchor {k: v}\nb: *anchor\n",
        "base: &b {x: 1}\nm:\n  <<: *b\n",
        "a: 1\n...\n---\nb: 2\n",
        "k: !!str 12\n",
        "k: [1,\t2]\n",  # tabs
    ],
)
def test_constructs_whose_meaning_differs_take_the_libyaml_path(text):
    from checker.loaders.yamldocs import _fast_documents

    assert _fast_documents(text) is None
    assert parse_documents(text, "x.yaml")  # and the libyaml path reads them


def test_fast_path_reads_plain_multi_document_manifests():
    from checker.loaders.yamldocs import _fast_documents

    text = "# header\n" + POD + "---\n" + POD.replace("name: p", "name: q") + "---\n"
    docs = _fast_documents(text)
    assert docs is not None
    assert [(d.line, d.value and d.value["metadata"]["name"]) for d in docs] == [
        (2, "p"),
        (11, "q"),
        (20, None),
    ]
    assert docs[1].node is not None and docs[1].node.start_mark.line == 10  # composed on demand
