"""The HTML report in a real headless Chromium: it renders (a screenshot that is not blank, with
the verdict banner painted), parses to the full document, prints to a multi-page PDF, and never
reaches for the network. No browser is a test failure with instructions, never a silent skip."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from checker.report.html import render_html

from conftest import AS_OF, dxguard
from screenshot_png import read_png

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Flags that work on a headless CI machine running as root, with no network use of its own.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]
WIDTH, HEIGHT = 1280, 1600
VERDICT_RED = (0xC6, 0x28, 0x28)


def chromium() -> str:
    found = os.environ.get("DXGUARD_CHROMIUM") or next(
        (p for name in CHROMIUM_NAMES if (p := shutil.which(name))), None
    )
    if not found:
        pytest.fail(
            "headless Chromium is required to test the HTML report and none was found "
            f"(looked for {', '.join(CHROMIUM_NAMES)} on PATH and $DXGUARD_CHROMIUM). Install "
            "Debian's package with `apt-get install -y chromium` (.ci/run does this) or point "
            "DXGUARD_CHROMIUM at a Chromium binary.",
            pytrace=False,
        )
    return found


def run_chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    proc = subprocess.run(
        [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        timeout=180,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-2000:]
    return proc


@pytest.fixture(scope="module")
def html_file(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("html") / "evidence.html"
    run = dxguard(
        "scan", "fixtures/k8s", "--waivers", "fixtures/waivers/research-waivers.yaml",
        "--as-of", AS_OF, "-q", "-o", f"html={out}",
    )  # fmt: skip
    assert run.code == 1, run.stderr
    return out


def test_html_renders_in_headless_chromium_and_the_screenshot_is_not_blank(html_file, tmp_path):
    shot = tmp_path / "evidence.png"
    run_chromium(
        tmp_path, f"--window-size={WIDTH},{HEIGHT}", f"--screenshot={shot}", html_file.as_uri()
    )
    image = read_png(shot.read_bytes())
    assert (image.width, image.height) == (WIDTH, HEIGHT)
    pixels = [image.pixel(x, y) for y in range(0, HEIGHT, 4) for x in range(0, WIDTH, 4)]
    inked = sum(1 for p in pixels if min(p) < 200)
    assert inked / len(pixels) > 0.02, "the screenshot is (nearly) blank"
    assert len(set(pixels)) > 50, "the screenshot has almost no distinct colours"
    # The FAIL verdict banner is painted near the top: the inline CSS was applied.
    top = {image.pixel(x, y) for y in range(0, 300) for x in range(0, WIDTH, 2)}
    assert any(all(abs(a - b) <= 8 for a, b in zip(p, VERDICT_RED, strict=True)) for p in top)
    keep = os.environ.get("DXGUARD_SCREENSHOT_DIR")
    if keep:  # e.g. to look at it, or keep it as a CI artifact
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(keep) / "evidence-report.png")


def test_html_parses_to_the_whole_report_in_chromium(html_file, tmp_path):
    dom = run_chromium(tmp_path, "--dump-dom", html_file.as_uri()).stdout.decode()
    report = json.loads(
        dxguard(
            "scan", "fixtures/k8s", "--waivers", "fixtures/waivers/research-waivers.yaml",
            "--as-of", AS_OF, "-q", "--format", "json",
        ).stdout
    )  # fmt: skip
    for fw in report["frameworks"]:
        assert f'id="fw-{fw["id"]}"' in dom
        for c in fw["controls"]:
            assert c["id"].replace("&", "&amp;") in dom
    for section in ("Waiver register", "Run metadata", "Scope of this evidence"):
        assert section in dom
    assert "node-agent-daemonset.yaml:17" in dom and "WVR-2026-003" in dom
    assert "21 CFR Part 11 applies to electronic records" in dom


def test_html_prints_to_a_multi_page_pdf(html_file, tmp_path):
    pdf = tmp_path / "evidence.pdf"
    run_chromium(tmp_path, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", html_file.as_uri())
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    pages = len(re.findall(rb"/Type\s*/Page[^s]", data))
    assert pages > 3, f"expected a multi-page printout, got {pages} page(s)"


def test_html_is_self_contained_and_fetches_nothing(html_file):
    text = html_file.read_text()
    assert "Content-Security-Policy" in text and "default-src 'none'" in text
    for banned in ("<script", "<link", "<img", "<iframe", "@import", "url(", "http://", "https://"):
        assert banned not in text, banned
    assert re.search(r"\b(src|href)=\"(?!#)", text) is None  # only in-page anchors


def test_html_escapes_input_text(html_file, tmp_path):
    report = json.loads(
        dxguard(
            "scan", "fixtures/k8s/noncompliant", "--as-of", AS_OF, "-q", "--format", "json"
        ).stdout
    )
    fid = report["frameworks"][0]["controls"][1]["failures"][0]
    f = next(x for x in report["findings"] if x["id"] == fid)
    f["message"] = '<script>alert("x")</script>'
    f["resource"]["name"] = "<b>bold</b>"
    text = render_html(report)
    assert "<script>" not in text and "<b>bold</b>" not in text
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in text
