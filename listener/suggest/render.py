"""Suggestions as a YAML patch to review and paste, or as JSON for scripts."""

from __future__ import annotations

import json
from dataclasses import asdict

import yaml

from listener.suggest.proposals import Suggestions


def _scalar(text: str) -> str:
    """One YAML scalar, quoted only where YAML needs it."""
    dumped = yaml.safe_dump(text, width=1000, allow_unicode=True)
    return dumped.split("\n...")[0].strip()


def _weeks(n: int) -> str:
    return f"{n} week" if n == 1 else f"{n} weeks"


def _comment(text: str) -> str:
    return " ".join(text.split()).replace("#", "＃")


def render_yaml(s: Suggestions) -> str:
    lines = [
        f"# listener personas suggest: {s.statements} statements of the {_weeks(s.weeks)} since "
        f"{s.since_week}.",
        "# Nothing here is applied. Review each proposal, paste what you keep into the personas",
        "# file under the same persona and attribute, then run `listener rescore`.",
    ]
    if not (s.add or s.stale or s.new):
        lines.append("# No proposals: every recurring wording is covered, every phrase matched.")
        return "\n".join(lines) + "\n"
    # persona → kind → attribute → lines under its `phrases:` (only attributes with additions:
    # a `phrases:` key with nothing but comments under it would read as null and, pasted, wipe
    # the attribute's phrases)
    tree: dict[str, dict[str, dict[str, list[str]]]] = {}
    for p in s.add:
        under = tree.setdefault(p.persona, {}).setdefault(p.kind, {}).setdefault(p.attribute, [])
        under.append(
            f"          # add: {p.adds} statements not yet evidence would match "
            f'({_comment(p.why)}), e.g. "{_comment(p.quotes[0])}"'
        )
        under.append(f"          - {_scalar(p.phrase)}")
    new_by_persona: dict[str, dict[str, list[str]]] = {}
    for n in s.new:
        new_by_persona.setdefault(n.persona, {}).setdefault(n.kind, []).extend(
            [
                f"      # new: {n.count} statements over {_weeks(n.weeks)} match no attribute, "
                f'e.g. "{_comment(n.quotes[0])}"',
                f"      - id: {n.id}",
                f"        label: {_scalar(n.label)}",
                f"        phrases: [{_scalar(n.phrase)}]",
            ]
        )
    if tree or new_by_persona:
        lines.append("personas:")
    for persona in dict.fromkeys([*tree, *new_by_persona]):
        lines.append(f"  - id: {persona}")
        for kind in ("pain", "aspiration"):
            attributes = tree.get(persona, {}).get(kind, {})
            new = new_by_persona.get(persona, {}).get(kind, [])
            if not attributes and not new:
                continue
            lines.append(f"    {kind}s:")
            for attribute, under in attributes.items():
                lines.append(f"      - id: {attribute}   # existing: add to its phrases")
                lines.append("        phrases:")
                lines.extend(under)
            lines.extend(new)
    if s.stale:
        lines.append(
            f"# Never matched in {_weeks(s.weeks)}: reword or remove these in the personas file"
        )
        lines.append("# (nothing to paste: removing a wording is an edit of the file itself).")
        lines.extend(
            f'#   {w.persona} / {w.kind} {w.attribute} ({w.field}): "{_comment(w.wording)}"'
            for w in s.stale
        )
    return "\n".join(lines) + "\n"


def render_json(s: Suggestions) -> str:
    return json.dumps(asdict(s), ensure_ascii=False, indent=2)
