"""The typed report (checker/report/model.py): the builder hands renderers typed records, the
JSON document is their faithful serialisation, and a report read back from JSON (a stored run, a
report file) renders exactly like the fresh one in every format."""

from __future__ import annotations

import dataclasses
import json
import typing

import jsonschema
import pytest

from checker.report import model
from checker.report.model import Report
from checker.report.render import RENDERERS, render

from conftest import AS_OF, ROOT, dxguard

SETS = {
    "demo": [
        "-c", "fixtures/dxguard.yaml", "--waivers", "fixtures/waivers/research-waivers.yaml",
        "fixtures/k8s", "fixtures/vm", "fixtures/images",
    ],
    "app-repo": ["-c", "fixtures/app-repo/dxguard.yaml", "fixtures/app-repo/deploy"],
    "custom": [
        "-c", "fixtures/dxguard.yaml", "--policy", "fixtures/custom/policy",
        "--controls", "fixtures/custom/controls", "-f", "fda-samd", "--fail-on", "high",
        "fixtures/k8s",
    ],
}  # fmt: skip


@pytest.fixture(scope="module", params=sorted(SETS))
def written(request, tmp_path_factory) -> dict[str, str]:
    """Every format of one scan, as the CLI writes them to files."""
    out = tmp_path_factory.mktemp(request.param)
    args = []
    for fmt in RENDERERS:
        args += ["--format", fmt, "-o", f"{fmt}={out / fmt}"]
    run = dxguard("scan", "--as-of", AS_OF, "-q", *args, *SETS[request.param])
    assert run.code in (0, 1), run.stderr
    return {fmt: (out / fmt).read_text() for fmt in RENDERERS}


def test_a_report_read_back_from_json_serialises_to_the_same_document(written):
    document = json.loads(written["json"])
    report = Report.from_json(document)
    assert report.to_json() == document
    jsonschema.validate(
        report.to_json(), json.loads((ROOT / "checker/schemas/report.schema.json").read_text())
    )


def test_a_report_read_back_from_json_renders_like_the_fresh_one_in_every_format(written):
    report = Report.from_json(json.loads(written["json"]))
    for fmt in RENDERERS:
        assert render(report, fmt, width=80) == written[fmt], f"{fmt} differs once read back"


def test_the_json_format_is_the_report_documents_canonical_text(written):
    """render_json lets orjson walk the records (record_fields per record): the same bytes as
    the document to_json builds, written canonically (what the store and the export keep)."""
    from checker.report.json_format import json_text, render_json

    report = Report.from_json(json.loads(written["json"]))
    assert render_json(report) == json_text(report.to_json()) == written["json"]


def test_record_fields_and_to_json_leave_out_and_rename_the_same_fields():
    kind = model.ListedKind("Pod", "v1", "listed", 2)  # resource "" and namespaced None: left out
    assert model.record_fields(kind) == {
        "kind": "Pod", "api_version": "v1", "status": "listed", "objects": 2
    }  # fmt: skip
    source = model.ResourceSource("a.yaml", 0, 1)
    entry = model.ResourceEntry("r1", "kubernetes", "Pod", "v1", "web", None, source, True, {})
    fields = model.record_fields(entry)
    assert fields["apiVersion"] == "v1" and "api_version" not in fields and "image" not in fields
    assert fields["source"] is source  # values as they are: the encoder converts them
    as_json = {"file": "a.yaml", "document": 0, "line": 1}
    assert model.to_json(entry) == {**fields, "source": as_json}
    assert model.to_json((kind, [kind])) == [model.to_json(kind), [model.to_json(kind)]]
    for not_a_record in (model.ListedKind, {"a": 1}, "text", 1):
        with pytest.raises(TypeError):
            model.record_fields(not_a_record)
    assert model.to_json(model.ListedKind) is model.ListedKind  # a record's class: no record


def test_reading_back_gives_typed_records_all_the_way_down(written):
    report = Report.from_json(json.loads(written["json"]))
    assert all(isinstance(fw, model.FrameworkResult) for fw in report.frameworks)
    controls = [c for fw in report.frameworks for c in fw.controls]
    assert controls and all(isinstance(c, model.ControlResult) for c in controls)
    assert all(isinstance(c.subjects, model.SubjectCounts) for c in controls)
    assert all(isinstance(k, model.ControlCheck) for c in controls for k in c.checks)
    assert all(isinstance(f.resource, model.ResourceRef) for f in report.findings)
    assert all(
        isinstance(f.waiver, model.WaiverRef) for f in report.findings if f.waiver is not None
    )
    assert all(isinstance(r.source, model.ResourceSource) for r in report.resources)
    assert all(
        isinstance(n, model.ResultCounts) for r in report.resources for n in r.checks.values()
    )
    assert isinstance(report.summary.gate, model.Gate)
    assert isinstance(report.run.bundle, model.BundleInfo)


def test_every_key_of_the_report_schema_is_a_field_of_the_typed_report():
    """The schema is the JSON contract and the dataclasses are the typed one: a key the schema
    allows that no dataclass carries would be dropped silently on reading a report back."""
    schema = json.loads((ROOT / "checker/schemas/report.schema.json").read_text())
    defs = schema.get("$defs", {})

    def keys_of(cls: type) -> set[str]:
        return {f.metadata.get("key", f.name) for f in dataclasses.fields(cls)}

    def inner(hint):
        while typing.get_origin(hint) in (list, dict, typing.Union) or (
            type(hint).__name__ == "UnionType"
        ):
            args = [a for a in typing.get_args(hint) if a is not type(None)]
            hint = args[-1]
        return hint

    def walk(node: dict, cls: type, where: str) -> None:
        node = defs[node["$ref"].split("/")[-1]] if "$ref" in node else node
        props = node.get("properties")
        if not props or not dataclasses.is_dataclass(cls):
            return
        assert set(props) == keys_of(cls), f"{where}: schema {sorted(props)} vs {cls.__name__}"
        hints = typing.get_type_hints(cls)
        by_key = {f.metadata.get("key", f.name): f.name for f in dataclasses.fields(cls)}
        for key, sub in props.items():
            target = inner(hints[by_key[key]])
            for part in (sub, sub.get("items") or {}, sub.get("additionalProperties") or {}):
                if isinstance(part, dict) and ("properties" in part or "$ref" in part):
                    walk(part, target, f"{where}.{key}")

    walk(schema, Report, "report")
