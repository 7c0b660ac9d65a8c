"""A folder scan examines every file `kubectl apply -f DIR -R` would apply, and lists the rest.

kubectl (k8s.io/cli-runtime pkg/resource/visitor.go, ExpandPathsToFileVisitors) walks a folder
with Go's filepath.Walk: hidden files and folders are read, a file is read when its name ends in
.json, .yaml or .yml, links to files are read, links to folders are not followed. dxguard reads
the same files; FIFOs, sockets and devices are listed as skipped and never opened (a FIFO would
hang the scan). End to end through `dxguard scan` on the real OPA, with several varied trees.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from checker.errors import InputError
from checker.loaders import load

from conftest import dxguard, failures_of, scan_json

PRIVILEGED = """\
apiVersion: v1
kind: Pod
metadata:
  name: {name}
spec:
  containers:
    - name: app
      image: registry.example/app:1.0
      securityContext:
        privileged: true
"""


def put(root: Path, rel: str, name: str | None = None) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(PRIVILEGED.format(name=name or f"pod-{path.stem.strip('.')}"), encoding="utf-8")
    return path


def names(result) -> list[str]:
    return [r.name for r in result.resources]


def skipped(result) -> dict[str, str]:
    return {s.file: s.reason for s in result.skipped}


@pytest.mark.parametrize(
    "rel",
    [
        ".hidden.yaml",  # a dotfile
        ".config/pod.yaml",  # a file in a hidden folder
        "team/.overrides/deep/pod.yml",  # a hidden folder anywhere in the tree
        ".github/workflows/../pod.json.yaml",
        ".yaml",  # filepath.Ext(".yaml") is ".yaml": kubectl reads it
    ],
)
def test_hidden_files_and_folders_are_examined_as_kubectl_applies_them(tmp_path, rel):
    put(tmp_path, rel, name="hidden")
    put(tmp_path, "visible.yaml", name="visible")
    _, report = scan_json(str(tmp_path))
    failed = {Path(f["file"]).name for f in failures_of(report, "DXG-K8S-ISO-001")}
    assert Path(rel).name in failed and "visible.yaml" in failed


def test_the_walk_follows_kubectls_lexical_order(tmp_path):
    for rel in ("b.yaml", "a/z.yaml", ".d/y.yaml", "c/x.yaml", "A.yaml"):
        put(tmp_path, rel)
    assert names(load([str(tmp_path)])) == ["pod-y", "pod-A", "pod-z", "pod-b", "pod-x"]


def test_files_of_other_kinds_are_listed_one_line_per_hidden_folder(tmp_path):
    put(tmp_path, ".git/objects/ab/manifest.yaml", name="in-git")
    for i in range(50):
        (tmp_path / ".git" / "objects" / "ab").joinpath(f"obj{i}").write_bytes(b"\x00blob")
    (tmp_path / "README.md").write_text("# notes")
    result = load([str(tmp_path)])
    assert names(result) == ["in-git"]
    reasons = skipped(result)
    assert reasons[f"{tmp_path.as_posix()}/README.md"].startswith("not an input file")
    (folder_reason,) = [r for f, r in reasons.items() if f.endswith("/.git/")]
    assert folder_reason.startswith("50 files in this hidden folder")
    assert len(reasons) == 2


def test_a_fifo_socket_or_device_in_a_folder_is_listed_and_never_opened(tmp_path):
    put(tmp_path, "pod.yaml")
    os.mkfifo(tmp_path / "pipe.yaml")  # opened for reading, it would wait for a writer forever
    os.mkfifo(tmp_path / ".hidden-pipe.json")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(tmp_path / "sock.yaml"))
    os.symlink("/dev/zero", tmp_path / "zero.yaml")  # a device behind a link: endless bytes
    os.symlink("pipe.yaml", tmp_path / "link-to-pipe.yml")
    try:
        run, report = scan_json(str(tmp_path), timeout=60)
    finally:
        sock.close()
    reasons = {Path(s["file"]).name: s["reason"] for s in report["skipped"]}
    assert reasons["pipe.yaml"] == "a FIFO (named pipe): not a regular file, never opened"
    assert reasons[".hidden-pipe.json"].startswith("a FIFO")
    assert reasons["link-to-pipe.yml"].startswith("a FIFO")
    assert reasons["sock.yaml"].startswith("a socket")
    assert reasons["zero.yaml"].startswith("a device")
    assert [Path(f["file"]).name for f in failures_of(report, "DXG-K8S-ISO-001")] == ["pod.yaml"]
    assert run.code == 1


def test_a_fifo_named_on_the_command_line_is_refused_without_waiting(tmp_path):
    os.mkfifo(tmp_path / "pipe.yaml")
    run = dxguard("scan", str(tmp_path / "pipe.yaml"), timeout=60)
    assert run.code == 2
    assert "pipe.yaml: not a regular file or directory" in run.stderr
    assert "Traceback" not in run.stderr


def test_links_to_files_are_read_and_links_to_folders_are_not_followed(tmp_path):
    outside = tmp_path / "outside"
    put(outside, "linked-file.yaml", name="via-file-link")
    put(outside, "sub/in-linked-folder.yaml", name="via-folder-link")
    tree = tmp_path / "tree"
    put(tree, "own.yaml", name="own")
    os.symlink(outside / "linked-file.yaml", tree / "file-link.yaml")
    os.symlink(outside / "sub", tree / "folder-link")
    os.symlink(outside / "sub", tree / "folder-link.yaml")  # kubectl would fail to read it
    os.symlink(outside / "linked-file.yaml", tree / "link-without-suffix")
    result = load([str(tree)])
    assert names(result) == ["via-file-link", "own"]
    assert [r.source.file for r in result.resources][0].endswith("tree/file-link.yaml")
    reasons = skipped(result)
    for link in ("folder-link", "folder-link.yaml"):
        assert reasons[f"{tree.as_posix()}/{link}"].startswith("symbolic link to a folder")
    assert reasons[f"{tree.as_posix()}/link-without-suffix"].startswith("not an input file")


def test_a_dangling_link_with_a_manifest_name_is_an_input_error(tmp_path):
    put(tmp_path, "pod.yaml")
    os.symlink(tmp_path / "gone.yaml", tmp_path / "dangling.yaml")
    with pytest.raises(InputError, match="dangling.yaml: symbolic link to nothing"):
        load([str(tmp_path)])
    os.symlink(tmp_path / "gone", tmp_path / "dangling-notes")  # kubectl ignores this name
    (tmp_path / "dangling.yaml").unlink()
    assert names(load([str(tmp_path)])) == ["pod-pod"]
