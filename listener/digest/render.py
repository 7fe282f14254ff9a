"""Digest → HTML and plain text with Jinja2 (autoescaped HTML: quotes are customer text)."""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from listener.digest.build import Digest

_env = Environment(
    loader=PackageLoader("listener.digest", "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def render_html(digest: Digest) -> str:
    return _env.get_template("digest.html").render(d=digest)


def render_text(digest: Digest) -> str:
    return _env.get_template("digest.txt").render(d=digest)
