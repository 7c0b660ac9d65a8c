"""Security fields written in any YAML 1.1 spelling are judged as Kubernetes reads them.

kubectl reads manifests with sigs.k8s.io/yaml (go-yaml v2): `privileged: Y` runs a privileged
container and `hostNetwork: y` shares the host network. End to end on the real OPA, through
`dxguard scan`: each spelling of a dangerous value fails its check at the field's line, and each
spelling of a safe value passes, on both YAML paths (a file with an anchor takes libyaml; a plain
file takes yaml-rs), and through pod-level values that override a default.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import failures_of, results_of, scan_json

POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: {name}
  namespace: team
spec:
  automountServiceAccountToken: false
  securityContext:
    runAsNonRoot: true
    seccompProfile: {{type: RuntimeDefault}}{pod_extra}
  containers:
    - name: app
      image: registry.example/app:1.0@sha256:{digest}
      securityContext:
        privileged: false
        allowPrivilegeEscalation: false
        readOnlyRootFilesystem: true
        capabilities: {{drop: [ALL]}}{container_extra}
"""
DIGEST = "a" * 64

# (check, field as written, YAML 1.1 spellings that mean the dangerous value)
DANGEROUS = [
    ("DXG-K8S-ISO-001", "privileged", ["Y", "y", "yes", "On", "ON", "TRUE"]),
    ("DXG-K8S-ISO-006", "allowPrivilegeEscalation", ["y", "YES", "on"]),
    ("DXG-K8S-ISO-009", "readOnlyRootFilesystem", ["n", "N", "no", "off", "OFF"]),
    ("DXG-K8S-ISO-003", "runAsNonRoot", ["off", "n", "No"]),
]
POD_LEVEL = [  # (check, pod spec field, spellings that mean true)
    ("DXG-K8S-ISO-002", "hostNetwork", ["y", "Y", "on", "yes"]),
    ("DXG-K8S-ISO-002", "hostPID", ["ON", "y"]),
    ("DXG-K8S-ISO-002", "hostIPC", ["Yes"]),
]


def pod(name: str, *, container: str = "", pod_level: str = "", anchor: bool = False) -> str:
    text = POD.format(
        name=name,
        digest=DIGEST,
        pod_extra=f"\n    {pod_level}" if pod_level and pod_level.startswith("runAs") else "",
        container_extra=f"\n        {container}" if container else "",
    )
    if pod_level and not pod_level.startswith("runAs"):
        text = text.replace("spec:\n  automount", f"spec:\n  {pod_level}\n  automount")
    if anchor:  # an anchor sends the file down the libyaml path instead of yaml-rs
        text = text.replace("namespace: team", "namespace: &ns team")
    return text


def write(folder: Path, name: str, text: str) -> None:
    (folder / f"{name}.yaml").write_text(text, encoding="utf-8")


def by_file(report: dict, check: str) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for f in failures_of(report, check):
        out.setdefault(Path(f["file"]).stem, []).append(f)
    return out


@pytest.fixture(scope="module")
def scanned(tmp_path_factory):
    """One scan of every variant: the baseline, each dangerous spelling, each safe spelling."""
    folder = tmp_path_factory.mktemp("values")
    write(folder, "baseline", pod("baseline"))
    for _check, field, spellings in DANGEROUS:
        for i, spelling in enumerate(spellings):
            for anchor in (False, True):
                name = f"{field}-{i}-{'libyaml' if anchor else 'fast'}"
                text = pod(name, container=f"{field}: {spelling}", anchor=anchor)
                if field in ("privileged", "allowPrivilegeEscalation", "readOnlyRootFilesystem"):
                    text = text.replace(
                        f"        {field}: {'true' if field[0] == 'r' else 'false'}\n", "", 1
                    )
                write(folder, name, text)
    for _check, field, spellings in POD_LEVEL:
        for i, spelling in enumerate(spellings):
            for anchor in (False, True):
                name = f"{field}-{i}-{'libyaml' if anchor else 'fast'}"
                write(folder, name, pod(name, pod_level=f"{field}: {spelling}", anchor=anchor))
    for spelling in ("n", "N", "off", "no"):  # safe spellings of the same fields pass
        name = f"safe-{spelling}"
        text = pod(name, pod_level=f"hostNetwork: {spelling}").replace(
            "privileged: false", f"privileged: {spelling}"
        )
        write(folder, name, text)
    return scan_json(str(folder))[1]


@pytest.mark.parametrize("check, field, spellings", DANGEROUS + POD_LEVEL)
def test_every_yaml_1_1_spelling_of_a_dangerous_value_fails_its_check(
    scanned, check, field, spellings
):
    failed = by_file(scanned, check)
    assert "baseline" not in failed
    for i in range(len(spellings)):
        for path in ("fast", "libyaml"):
            findings = failed.get(f"{field}-{i}-{path}")
            assert findings, f"{field}: {spellings[i]} ({path} path) passed {check}"
            assert any(f["path"].endswith(field) for f in findings)


def test_false_spellings_of_the_same_fields_pass(scanned):
    for check in ("DXG-K8S-ISO-001", "DXG-K8S-ISO-002"):
        assert not any(name.startswith("safe-") for name in by_file(scanned, check))
    examined = {
        r["id"].split("/")[-1].split(".yaml")[0] for r in results_of(scanned, "DXG-K8S-ISO-001")
    }
    assert {"safe-n", "safe-N", "safe-off", "safe-no"} <= examined


SERVICE_ACCOUNT = """\
apiVersion: v1
kind: ServiceAccount
metadata:
  name: runner
  namespace: team
automountServiceAccountToken: {value}
"""


@pytest.mark.parametrize(
    "account, pod_value, mounts",
    [
        ("n", None, False),  # the account's `n` is false: no token, the pod passes
        ("off", None, False),
        ("false", "Y", True),  # the pod's `Y` (true) overrides the account's false
        ("N", "yes", True),
        ("y", "n", False),  # the pod's `n` (false) overrides the account's true
        ("ON", None, True),
    ],
)
def test_a_pod_level_token_setting_overrides_its_service_account_as_kubernetes_reads_it(
    tmp_path, account, pod_value, mounts
):
    text = pod("worker").replace("  automountServiceAccountToken: false\n", "")
    text = text.replace("spec:\n", "spec:\n  serviceAccountName: runner\n", 1)
    if pod_value is not None:
        text = text.replace("spec:\n", f"spec:\n  automountServiceAccountToken: {pod_value}\n", 1)
    write(tmp_path, "pod", text)
    write(tmp_path, "account", SERVICE_ACCOUNT.format(value=account))
    _, report = scan_json(str(tmp_path))
    failed = failures_of(report, "DXG-K8S-ISO-010")
    assert bool(failed) is mounts, (account, pod_value, failed)
    assert len(results_of(report, "DXG-K8S-ISO-010")) >= 1  # the pod was examined either way


@pytest.mark.parametrize("spelling", ["0x0", "0o0", "00", "0_0", "-0", "+0", "0.0", "0e0"])
def test_a_root_uid_in_any_numeric_spelling_fails(tmp_path, spelling):
    write(tmp_path, "pod", pod("root", container=f"runAsUser: {spelling}"))
    _, report = scan_json(str(tmp_path))
    (finding,) = failures_of(report, "DXG-K8S-ISO-003")
    assert finding["path"].endswith("securityContext.runAsUser")
    assert finding["line"] == 19
