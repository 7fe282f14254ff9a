"""Render the digest of the drift end-to-end data to a PNG, as the README shows it.

    .venv/bin/python bench/screenshot_digest.py [OUT.png]
    # default OUT: config/examples/digest-2026-W47.png

Builds the fourteen synthetic survey weeks of tests/listener/alerts/survey_weeks.py in a
temporary folder, runs `listener run --once` on them (digest to the outbox), and has Debian's
headless Chromium take a 600 px wide screenshot of the HTML digest.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.listener.alerts.survey_weeks import (  # noqa: E402
    AS_OF,
    REPORTED_WEEK,
    config_text,
    write_survey,
)


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "config/examples/digest-2026-W47.png"
    chromium = shutil.which("chromium")
    if chromium is None:
        raise SystemExit("needs Debian's chromium: apt-get install chromium")
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        write_survey(root / "pulse.csv")
        personas = REPO / "tests/fixtures/drift_personas.yaml"
        (root / "listener.yaml").write_text(config_text(root / "pulse.csv", personas))
        subprocess.run(
            [sys.executable, "-m", "listener", "--log-level", "warning", "run", "--once",
             "--as-of", AS_OF, "-c", str(root / "listener.yaml")],
            check=True, cwd=root,
        )  # fmt: skip
        html = root / "outbox" / f"digest-{REPORTED_WEEK}.html"
        subprocess.run(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-background-networking", "--hide-scrollbars",
             f"--user-data-dir={root / 'profile'}", "--window-size=600,1950",
             f"--screenshot={out}", html.as_uri()],
            check=True, capture_output=True,
        )  # fmt: skip
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
