"""Config errors name file, line and key; check metadata is a validated contract."""

from __future__ import annotations

import json

import jsonschema

from conftest import AS_OF, FIXTURES, ROOT, dxguard, scan_json

COMPLIANT = FIXTURES / "k8s" / "compliant"


def test_unknown_config_key_is_exit_2_naming_the_key_and_line(tmp_path):
    cfg = tmp_path / "dxguard.yaml"
    cfg.write_text("version: 1\nframeworks: [fda-samd]\nparamters: {}\n")
    run = dxguard("scan", str(COMPLIANT), "-c", str(cfg))
    assert run.code == 2
    assert f"{cfg}:1: invalid config" in run.stderr
    assert "'paramters' was unexpected" in run.stderr


def test_wrong_type_in_config_names_the_line(tmp_path):
    cfg = tmp_path / "dxguard.yaml"
    cfg.write_text("version: 1\nframeworks:\n  - fda-samd\n  - 42\n")
    run = dxguard("scan", str(COMPLIANT), "-c", str(cfg))
    assert run.code == 2
    assert f"{cfg}:4: invalid config at frameworks.1" in run.stderr


def test_config_frameworks_and_digest_are_used_and_recorded(tmp_path):
    cfg = tmp_path / "dxguard.yaml"
    cfg.write_text("version: 1\nframeworks: [iso-13485]\nparameters: {}\n")
    run, report = scan_json(str(COMPLIANT), "-c", str(cfg))
    assert [fw["id"] for fw in report["frameworks"]] == ["iso-13485"]
    assert report["run"]["config"]["file"] == str(cfg)
    assert len(report["run"]["config"]["file_sha256"]) == 64


def test_malformed_config_yaml_is_exit_2(tmp_path):
    cfg = tmp_path / "dxguard.yaml"
    cfg.write_text("version: 1\nframeworks: [\n")
    run = dxguard("scan", str(COMPLIANT), "-c", str(cfg))
    assert run.code == 2
    assert "config error" in run.stderr and f"{cfg}:3" in run.stderr


def test_every_check_metadata_validates_against_the_schema():
    schema = json.loads((ROOT / "checker/schemas/check-metadata.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    run = dxguard("checks", "list", "--format", "json")
    assert run.code == 0
    checks = json.loads(run.stdout)
    assert len(checks) >= 6
    validator = jsonschema.Draft202012Validator(schema)
    for c in checks:
        meta = {
            "title": c["title"],
            "description": c["description"],
            "package": c["package"],
            "custom": {
                k: c[k] for k in ("id", "family", "severity", "targets", "remediation", "scope")
            },
        }
        if c["inventory"]:
            meta["custom"]["inventory"] = c["inventory"]
        validator.validate(meta)


def test_malformed_as_of_is_a_usage_error():
    run = dxguard("scan", str(COMPLIANT), "--as-of", "last tuesday")
    assert run.code == 2
    assert "not an ISO 8601 date" in run.stderr


def test_as_of_with_offset_is_normalised_to_utc():
    _, report = scan_json(str(COMPLIANT), "--as-of", "2026-11-26T01:30:00+01:00")
    assert report["run"]["as_of"] == "2026-11-26T00:30:00Z"
    _, report = scan_json(str(COMPLIANT))
    assert report["run"]["as_of"] == AS_OF


def test_help_teaches_usage_and_exit_codes():
    run = dxguard("--help")
    assert run.code == 0
    assert "Exit codes" in run.stdout and "dxguard scan" in run.stdout
    scan_help = dxguard("scan", "--help")
    assert "--as-of" in scan_help.stdout and "--framework" in scan_help.stdout


def test_missing_input_path_is_exit_2_with_the_path(tmp_path):
    run = dxguard("scan", str(tmp_path / "nowhere"))
    assert run.code == 2
    assert "nowhere: no such file or directory" in run.stderr


def test_malformed_yaml_input_is_exit_2_naming_file_and_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n   oops: 1\n")
    run = dxguard("scan", str(bad))
    assert run.code == 2
    assert f"{bad}:5:" in run.stderr and "malformed YAML" in run.stderr
    assert run.stdout == ""


def test_an_unexpected_internal_error_is_exit_2_never_a_verdict(monkeypatch):
    from click.testing import CliRunner

    import checker.scan
    from checker.cli import cli

    def broken(_opts):
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(checker.scan, "run_scan", broken)
    result = CliRunner().invoke(cli, ["scan", str(COMPLIANT)])
    assert result.exit_code == 2
    assert "internal error: RuntimeError: simulated bug" in result.output
    assert "no report was written" in result.output


def test_nothing_examined_says_so_in_the_verdict(tmp_path):
    cm = tmp_path / "cm.yaml"
    cm.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata: {}\n")
    run = dxguard("scan", str(cm), "--as-of", AS_OF)
    assert run.code == 0
    assert "nothing was examined" in " ".join(run.stdout.split())
