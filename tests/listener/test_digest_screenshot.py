"""The digest in a real browser: Debian's headless Chromium renders it at 600 px, the width of a
mail client's reading column, to a PNG; the page must not be wider than that viewport."""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from listener.digest.render import render_html
from tests.listener.digest_sample import sample_digest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
VIEWPORT = 600
# As the machine's browser probe runs it: no network of its own, a fresh profile.
FLAGS = [
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

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        CHROMIUM is None, reason="needs Debian's chromium (apt-get install chromium)"
    ),
]


def _chromium(tmp_path: Path, *args: str) -> str:
    profile = tmp_path / "profile"
    result = subprocess.run(
        [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return result.stdout


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_the_digest_fits_a_600px_mail_column(tmp_path: Path) -> None:
    html = render_html(sample_digest())
    page = tmp_path / "digest.html"
    page.write_text(html, encoding="utf-8")
    shot = tmp_path / "digest.png"
    _chromium(tmp_path, f"--window-size={VIEWPORT},2400", f"--screenshot={shot}", page.as_uri())
    width, height = _png_size(shot)
    assert (width, height) == (VIEWPORT, 2400)
    assert shot.stat().st_size > 20_000, "the screenshot is (nearly) blank"

    # Measure the laid-out page: a copy of the digest with a probe script (the digest itself has
    # none) writes the document's scroll width into the DOM that Chromium dumps.
    probe = tmp_path / "probe.html"
    probe.write_text(
        html.replace(
            "</body>",
            "<script>document.body.setAttribute('data-width', "
            "String(document.documentElement.scrollWidth));</script></body>",
        ),
        encoding="utf-8",
    )
    dom = _chromium(
        tmp_path, f"--window-size={VIEWPORT},2400", "--virtual-time-budget=2000", "--dump-dom",
        probe.as_uri(),
    )  # fmt: skip
    match = re.search(r'data-width="(\d+)"', dom)
    assert match, dom[:500]
    assert int(match.group(1)) <= VIEWPORT, f"page is {match.group(1)} px wide"
