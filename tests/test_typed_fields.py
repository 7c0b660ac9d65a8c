"""Wrong types are findings, never absences.

The API server rejects `privileged: "true"`, `privileged: 1`, `runAsUser: "0"` or a capability
list written as one string; read as "unset", each would pass the check that reads it. End to
end on the real OPA through `dxguard scan`: DXG-K8S-ISO-019 names the type the API expects at
the field's line, the check that reads the field fails it too (never a pass for that subject),
on both YAML paths and in JSON, in every workload kind, and the scan exits 1 — no traceback.
"""

from __future__ import annotations

import json

import pytest
from workload_manifests import CONFIG, as_kind, container, deployment, pod_spec, write

from conftest import dxguard, failures_of

# name → (edit of the compliant workload, field path end, the check that reads the field,
# words of ISO-019's message)
CASES = {
    "privileged-quoted": (lambda d: container(d)["securityContext"].update(privileged="true"),
                          "containers[0].securityContext.privileged", "DXG-K8S-ISO-001",
                          'the string "true", but the API types it as a boolean'),
    "privileged-number": (lambda d: container(d)["securityContext"].update(privileged=1),
                          "containers[0].securityContext.privileged", "DXG-K8S-ISO-001",
                          "the number 1"),
    "privileged-init-list": (lambda d: container(d, "initContainers")["securityContext"].update(
                                 privileged=["true"]),
                             "initContainers[0].securityContext.privileged", "DXG-K8S-ISO-001",
                             "a list, but the API types it as a boolean"),
    "uid-quoted": (lambda d: container(d)["securityContext"].update(runAsUser="0"),
                   "containers[0].securityContext.runAsUser", "DXG-K8S-ISO-003",
                   'the string "0", but the API types it as an integer'),
    "pod-uid-quoted": (lambda d: pod_spec(d)["securityContext"].update(runAsUser="0"),
                       "spec.securityContext.runAsUser", "DXG-K8S-ISO-003", "as an integer"),
    "host-network-quoted": (lambda d: pod_spec(d).update(hostNetwork="yes"),
                            "spec.hostNetwork", "DXG-K8S-ISO-002", 'the string "yes"'),
    "drop-as-string": (lambda d: container(d)["securityContext"]["capabilities"].update(
                           drop="ALL"),
                       "containers[0].securityContext.capabilities.drop", "DXG-K8S-ISO-007",
                       "as a list of strings"),
    "add-as-string": (lambda d: container(d)["securityContext"]["capabilities"].update(
                          add="SYS_ADMIN"),
                      "containers[0].securityContext.capabilities.add", "DXG-K8S-ISO-007",
                      'the string "SYS_ADMIN"'),
    "seccomp-as-string": (lambda d: pod_spec(d)["securityContext"].update(
                              seccompProfile="RuntimeDefault"),
                          "spec.securityContext.seccompProfile", "DXG-K8S-ISO-008",
                          "as a mapping"),
    "escalation-quoted": (lambda d: container(d)["securityContext"].update(
                              allowPrivilegeEscalation="false"),
                          "containers[0].securityContext.allowPrivilegeEscalation",
                          "DXG-K8S-ISO-006", 'the string "false"'),
    "host-port-quoted": (lambda d: container(d)["ports"][0].update(hostPort="8443"),
                         "containers[0].ports[0].hostPort", "DXG-K8S-ISO-005",
                         "as an integer"),
    "proc-mount-number": (lambda d: container(d)["securityContext"].update(procMount=0),
                          "containers[0].securityContext.procMount", "DXG-K8S-ISO-021",
                          "as a string"),
    "token-quoted": (lambda d: pod_spec(d).update(automountServiceAccountToken="false"),
                     "spec.automountServiceAccountToken", "DXG-K8S-ISO-010", 'the string "false"'),
}  # fmt: skip


def _variant(name: str, kind: tuple[str, str] | None = None) -> dict:
    doc = deployment()
    CASES[name][0](doc)
    return as_kind(doc, *kind) if kind else doc


@pytest.fixture(scope="module")
def scanned(tmp_path_factory):
    folder = tmp_path_factory.mktemp("typed")
    for name in CASES:
        write(folder, name, _variant(name))
    # the same values through the libyaml path (an anchor), as JSON, and inside a Rollout
    text = (folder / "privileged-quoted.yaml").read_text()
    (folder / "anchored-privileged.yaml").write_text(
        text.replace("namespace: clinical-pathology", "namespace: &ns clinical-pathology", 1)
    )
    (folder / "json-privileged.json").write_text(json.dumps(_variant("privileged-number")))
    write(folder, "rollout-uid", _variant("uid-quoted", ("argoproj.io/v1alpha1", "Rollout")))
    run = dxguard("scan", str(folder), "-c", CONFIG, "--format", "json", "-q")
    assert run.code == 1, run.stderr
    assert "Traceback" not in run.stderr
    return run.json()


def _in(findings: list[dict], stem: str) -> list[dict]:
    return [f for f in findings if f["file"].rsplit("/", 1)[-1].rsplit(".", 1)[0] == stem]


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_mistyped_security_field_is_a_finding_of_iso_019_and_of_its_check(scanned, name):
    _, path, check, words = CASES[name]
    typed = _in(failures_of(scanned, "DXG-K8S-ISO-019"), name)
    assert any(f["path"].endswith(path) and words in f["message"] for f in typed), typed
    assert all(f["line"] > 1 for f in typed)
    # the check that reads the field never passes that subject: it fails it
    reads = _in(failures_of(scanned, check), name)
    assert reads, f"{check} passed {name}"
    assert any("rejects" in f["message"] for f in reads), [f["message"] for f in reads]


@pytest.mark.parametrize(
    ("stem", "path"),
    [
        ("anchored-privileged", "containers[0].securityContext.privileged"),
        ("json-privileged", "containers[0].securityContext.privileged"),
        ("rollout-uid", "containers[0].securityContext.runAsUser"),
    ],
)
def test_the_same_holds_on_both_yaml_paths_in_json_and_in_a_custom_resource(scanned, stem, path):
    typed = _in(failures_of(scanned, "DXG-K8S-ISO-019"), stem)
    assert any(f["path"].endswith(path) for f in typed), typed
    check = "DXG-K8S-ISO-003" if stem == "rollout-uid" else "DXG-K8S-ISO-001"
    assert _in(failures_of(scanned, check), stem)


def test_messages_quote_at_most_a_short_excerpt_of_a_long_bad_value(tmp_path):
    doc = deployment()
    container(doc)["securityContext"]["procMount"] = 7
    container(doc)["securityContext"]["privileged"] = "x" * 5000
    write(tmp_path, "long", doc)
    run = dxguard("scan", str(tmp_path), "-c", CONFIG, "--format", "json", "-q")
    assert run.code == 1, run.stderr
    (finding,) = [
        f
        for f in failures_of(run.json(), "DXG-K8S-ISO-019")
        if f["path"].endswith("securityContext.privileged")
    ]
    assert "x" * 40 + "…" in finding["message"] and "x" * 41 not in finding["message"]
