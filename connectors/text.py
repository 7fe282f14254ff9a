"""HTML → plain text for customer posts (feed summaries, Discourse "cooked" posts, ...).

The NLP works on sentences, so the structure that separates them must survive: paragraphs,
line breaks and list items become separate lines, while scripts, styles and other
non-content elements vanish. The stdlib parser is forgiving with broken markup and never
fetches or expands anything external.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_SKIP = frozenset(
    {"script", "style", "head", "title", "noscript", "template", "svg", "math", "iframe",
     "object", "embed", "select", "button", "canvas", "audio", "video"}
)  # fmt: skip
_VOID = frozenset(
    {"br", "hr", "img", "input", "meta", "link", "area", "base", "col", "source", "track", "wbr"}
)
_BLOCK = frozenset(
    {"p", "div", "section", "article", "header", "footer", "aside", "nav", "main", "blockquote",
     "pre", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "dl", "table", "figure",
     "figcaption", "form", "fieldset", "address", "details", "summary", "hr"}
)  # fmt: skip
_LINE = frozenset({"br", "li", "tr", "dt", "dd", "caption"})
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u200b]+")
_PARA = "\x00P"
_BR = "\x00L"


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip_depth = 0
        self._pre_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            if tag not in _VOID:
                self._skip_depth += 1
            return
        if tag == "pre":
            self._pre_depth += 1
        self._mark(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _SKIP:
            self._mark(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self._skip_depth = max(0, self._skip_depth - 1)
            return
        if tag == "pre":
            self._pre_depth = max(0, self._pre_depth - 1)
        if tag in _BLOCK:
            self.parts.append(_PARA)
        elif tag in _LINE and tag != "br":
            self.parts.append(_BR)

    def handle_data(self, data: str) -> None:
        if self._skip_depth:
            return
        if self._pre_depth:
            self.parts.append(data.replace("\n", _BR))
        else:
            self.parts.append(data.replace("\n", " "))

    def _mark(self, tag: str) -> None:
        if tag in _BLOCK:
            self.parts.append(_PARA)
        elif tag in _LINE:
            self.parts.append(_BR)


def html_to_text(html: str) -> str:
    """Visible text of an HTML fragment or document, one paragraph/line/list item per line.

    Paragraphs are separated by a blank line, ``<br>`` and list items by a newline; runs of
    spaces collapse; entities are decoded. Plain text without tags comes back with its
    whitespace normalised the way a browser would show it.
    """
    if not html:
        return ""
    parser = _TextExtractor()
    try:
        parser.feed(html.replace("\x00", ""))
        parser.close()
    except (AssertionError, ValueError):  # pragma: no cover - very old parser edge cases
        pass
    raw = "".join(parser.parts)
    out: list[str] = []
    pending_para = False
    for piece in re.split(f"({_PARA}|{_BR})", raw):
        if piece == _PARA:
            pending_para = True
            if out and out[-1] != "":
                out.append("")
            continue
        if piece == _BR:
            if out and out[-1] != "":
                out.append("")
            continue
        line = _SPACES.sub(" ", piece).strip()
        if not line:
            continue
        if out and out[-1] == "":
            out.pop()
            if pending_para and out:
                out.append("")
            out.append(line)
        elif out:
            out[-1] = f"{out[-1]} {line}"
        else:
            out.append(line)
        pending_para = False
    while out and out[-1] == "":
        out.pop()
    return "\n".join(out)
