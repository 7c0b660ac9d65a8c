"""-o to something that is not a regular file (a FIFO, /dev/null, /dev/stderr) writes to it.

Reports are written atomically (a temporary file renamed over the target), which must never
apply to a device or a pipe: renamed over /dev/null, as root, it would leave a regular file
where the null device was. Tested on a FIFO, so a regression cannot damage the machine.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading

from conftest import FIXTURES, ROOT


def test_a_report_written_to_a_fifo_goes_through_it_and_leaves_it_a_fifo(tmp_path):
    fifo = tmp_path / "report.pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    proc = subprocess.run(
        [sys.executable, "-m", "checker", "scan", "--format", "json", "-o", f"json={fifo}",
         str(FIXTURES / "k8s" / "compliant" / "slide-viewer-deployment.yaml")],
        capture_output=True, text=True, timeout=300, cwd=ROOT, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    reader.join(60)
    assert proc.returncode in (0, 1), proc.stderr
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert json.loads(received[0])["report_version"]
    assert [p.name for p in tmp_path.iterdir()] == ["report.pipe"]  # no temporary file left
