"""`listener status`: per-source health and counts, as a table or JSON for scripts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from listener.cli.common import config_option, echo, errors_to_exit, load
from listener.cli.table import format_table


@click.command()
@config_option
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output for scripts.")
@click.pass_context
def status(ctx: click.Context, config_path: Path | None, as_json: bool) -> None:
    """Per source: health, last fetch, counts."""
    from listener.health.status import collect_status
    from listener.store.db import Store  # not the Service: it would import spaCy

    with errors_to_exit():
        config = load(ctx, config_path)
        store = Store(config.database_url)
        try:
            data = collect_status(config, store)
        finally:
            store.dispose()
        echo(json.dumps(data, indent=2) if as_json else format_status(data))


def format_status(data: dict[str, Any]) -> str:
    header = (
        "SOURCE",
        "TYPE",
        "HEALTH",
        "ITEMS",
        "STMTS",
        "EVID",
        "LAST SUCCESS",
        "FAILS",
        "NEXT RUN",
        "LEASE",
        "LAST RUN BY",
    )
    rows = [header]
    for s in data["sources"]:
        rows.append(
            (
                s["name"],
                s["type"],
                s["health"],
                str(s["items"]),
                str(s["statements"]),
                str(s["evidence"]),
                _short(s["last_success_at"]),
                str(s["consecutive_failures"]),
                _short(s["next_run_at"]),
                _holder(s.get("lease")),
                s.get("last_run_by") or "-",
            )
        )
    lines = format_table(rows)
    errors = [f"  {s['name']}: {s['last_error']}" for s in data["sources"] if s["last_error"]]
    if errors:
        lines += ["", "last errors:", *errors]
    aside = [
        f"  {s['name']}: {s['quarantined']} (listener quarantine --source {s['name']})"
        for s in data["sources"]
        if s.get("quarantined")
    ]
    if aside:
        lines += ["", "quarantined records (could not be read):", *aside]
    foreign = [(s["name"], s.get("other_language", 0)) for s in data["sources"]]
    if any(n for _, n in foreign):
        total = sum(n for _, n in foreign)
        lines += [
            "",
            f"skipped as another language than the personas': {total} items",
            *(f"  {name}: {n}" for name, n in foreign if n),
        ]
    pending = [
        f"  {d['channel']} {d['subject']} → {d['sink']}: {d['status']}"
        + (f" ({d['error']})" if d["error"] else "")
        + (NEEDS_DECISION if d["status"] == "uncertain" else "")
        for d in data.get("deliveries", [])
    ]
    if pending:
        lines += ["", "deliveries not sent:", *pending]
    hooks = [
        f"  {r['name']}: last delivery {_short(r['last_delivery_at'])}, {r['stored']} stored, "
        f"{r['duplicates']} duplicates, {r['rejections']} rejected"
        + (f" (last: {r['last_rejection']})" if r["last_rejection"] else "")
        for r in data.get("webhooks", [])
    ]
    if hooks:
        lines += ["", "webhook routes:", *hooks]
    instances = [
        f"  {i['id']}: heartbeat {_short(i['heartbeat_at'])}"
        + ("" if i["alive"] else " (silent: looks dead; its leases run out)")
        + (f", running {', '.join(i['leases'])}" if i["leases"] else "")
        for i in data.get("instances", [])
    ]
    if instances:
        lines += ["", "instances:", *instances]
    t = data["totals"]
    lines += [
        "",
        f"totals: {t['items']} items, {t['statements']} statements, {t['evidence']} evidence "
        f"({data['database']}, schema "
        f"{data['schema'] or 'not created: run `listener db upgrade`'})",
    ]
    return "\n".join(lines)


NEEDS_DECISION = (
    " — may have arrived: check, then resend if it did not (`listener digest --week W --force`,"
    " or `listener alerts --resend KEY`)"
)


def _short(value: str | None) -> str:
    return value[:19].replace("T", " ") if value else "-"


def _holder(lease: dict[str, Any] | None) -> str:
    """Who runs the source now ("-" between runs); an expired lease is free to take."""
    if not lease:
        return "-"
    return f"{lease['holder']} (expired)" if lease["expired"] else str(lease["holder"])
