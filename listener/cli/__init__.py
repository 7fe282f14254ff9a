"""The `listener` command: one group, one module per command (group) beside this file."""

from __future__ import annotations

import click

from listener import logging as listener_logging
from listener.cli.alerts import alerts
from listener.cli.check import check
from listener.cli.db import db
from listener.cli.digest import digest
from listener.cli.extract import extract
from listener.cli.personas import personas
from listener.cli.purge import purge
from listener.cli.quarantine import quarantine
from listener.cli.report import report
from listener.cli.rescore import rescore
from listener.cli.retention import retention
from listener.cli.run import run
from listener.cli.status import status


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--log-level",
    type=click.Choice(listener_logging.LOG_LEVELS, case_sensitive=False),
    default=None,
    help="Log level (default: from config).",
)
@click.option(
    "--log-json/--log-console",
    default=None,
    help="Log format (default: JSON unless on a terminal).",
)
@click.version_option(package_name="listener")
@click.pass_context
def main(ctx: click.Context, log_level: str | None, log_json: bool | None) -> None:
    """Listen to customers in forums, feeds and surveys; tell marketers when personas drift."""
    ctx.ensure_object(dict)
    ctx.obj["log_level"] = log_level
    listener_logging.configure(log_level or "info", log_json)


for command in (
    run, check, status, report, alerts, digest, rescore, db, extract, quarantine, personas,
    purge, retention,
):  # fmt: skip
    main.add_command(command)

__all__ = ["main"]
