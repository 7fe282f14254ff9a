"""`listener report`: evidence per persona attribute per ISO week (optionally per segment tag)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from listener.cli.common import config_option, errors_to_exit, load, make_service
from listener.cli.table import format_table
from listener.errors import UsageError
from listener.weeks import iso_week, weeks_ending

if TYPE_CHECKING:
    from listener.service import Service


@click.command()
@config_option
@click.option("--weeks", default=8, show_default=True, type=click.IntRange(1, 104))
@click.option(
    "--by-segment",
    "segment_tag",
    default=None,
    help="Break counts down by a segment tag, e.g. size.",
)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def report(
    ctx: click.Context, config_path: Path | None, weeks: int, segment_tag: str | None, as_json: bool
) -> None:
    """Evidence per persona attribute per ISO week."""
    with errors_to_exit():
        service = make_service(load(ctx, config_path))
        data = collect_report(service, weeks, segment_tag)
        click.echo(json.dumps(data, indent=2) if as_json else format_report(data))


def collect_report(service: Service, weeks: int, segment_tag: str | None) -> dict[str, Any]:
    from listener.store import reports
    from listener.store.db import require_current_schema

    config = service.config
    require_current_schema(service.store.engine)
    week_list = weeks_ending(iso_week(datetime.now(UTC), config.tz), weeks)
    rows: list[dict[str, Any]] = []
    with service.store.session() as session:
        if segment_tag is None:
            counts = reports.weekly_counts(session, week_list)
            for persona in config.personas.personas:
                for kind, attribute in persona.attributes():
                    per_week = counts.get((persona.id, attribute.id, kind), {})
                    rows.append(
                        _row(persona.id, attribute.id, attribute.label, kind, week_list, per_week)
                    )
        else:
            by_segment = reports.weekly_segment_counts(session, week_list)
            known = {tag for (_, _, key) in by_segment for tag in json.loads(key)}
            if by_segment and segment_tag not in known:
                raise UsageError(
                    f"no evidence of the last {weeks} weeks carries the segment tag "
                    f"{segment_tag!r}",
                    hint="tags seen: " + (", ".join(sorted(known)) or "none (no segment data)"),
                )
            merged: dict[tuple[str, str, str], dict[str, int]] = {}
            for (persona_id, attribute_id, segment_key), per_week in by_segment.items():
                value = json.loads(segment_key).get(segment_tag, "(none)")
                bucket = merged.setdefault((persona_id, attribute_id, value), {})
                for week, n in per_week.items():
                    bucket[week] = bucket.get(week, 0) + n
            labels: dict[tuple[str, str], tuple[str, str]] = {
                (p.id, a.id): (a.label, kind)
                for p in config.personas.personas
                for kind, a in p.attributes()
            }
            for (persona_id, attribute_id, value), per_week in sorted(merged.items()):
                label, kind_name = labels.get((persona_id, attribute_id), (attribute_id, "?"))
                row = _row(persona_id, attribute_id, label, kind_name, week_list, per_week)
                row["segment"] = {segment_tag: value}
                rows.append(row)
    return {"weeks": week_list, "segment_tag": segment_tag, "rows": rows}


def _row(
    persona: str, attribute: str, label: str, kind: str, weeks: list[str], per_week: dict[str, int]
) -> dict[str, Any]:
    counts = [per_week.get(week, 0) for week in weeks]
    return {
        "persona": persona,
        "attribute": attribute,
        "label": label,
        "kind": kind,
        "counts": dict(zip(weeks, counts, strict=True)),
        "total": sum(counts),
    }


def format_report(data: dict[str, Any]) -> str:
    weeks: list[str] = data["weeks"]
    segment = data["segment_tag"]
    header = [
        "PERSONA",
        "KIND",
        "ATTRIBUTE",
        *([segment.upper()] if segment else []),
        *[w[-3:] for w in weeks],
        "TOTAL",
    ]
    table = [header]
    for row in data["rows"]:
        table.append(
            [
                row["persona"],
                row["kind"],
                row["attribute"],
                *([str(row["segment"][segment])] if segment else []),
                *[str(row["counts"][w]) for w in weeks],
                str(row["total"]),
            ]
        )
    lines = format_table(table, right_from=4 if segment else 3)
    if segment and not data["rows"]:
        lines.append("(no evidence in these weeks, so nothing to break down)")
    lines.append(
        f"weeks {weeks[0]} … {weeks[-1]}; counts are evidence (statement × persona attribute)"
    )
    return "\n".join(lines)
