"""Rewrite the golden digest files from tests/listener/digest_sample.py, after a template change
made on purpose: `python -m tests.listener.golden.regenerate`, then review `git diff`.

The golden test only reads these files; it never writes them.
"""

from __future__ import annotations

from pathlib import Path

from listener.digest.render import render_html, render_text
from tests.listener.digest_sample import sample_digest

HERE = Path(__file__).parent

if __name__ == "__main__":
    digest = sample_digest()
    (HERE / "digest.txt").write_text(render_text(digest), encoding="utf-8")
    (HERE / "digest.html").write_text(render_html(digest), encoding="utf-8")
    print(f"wrote {HERE / 'digest.txt'} and {HERE / 'digest.html'}")
