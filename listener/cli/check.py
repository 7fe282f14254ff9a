"""`listener check`: the config's shape, then whether each source can be read."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from listener.cli.common import config_option, echo, errors_to_exit, load
from listener.errors import ConfigError

if TYPE_CHECKING:
    from listener.config import Config


@click.command()
@config_option
@click.option("--no-connect", is_flag=True, help="Only validate files; do not contact sources.")
@click.pass_context
def check(ctx: click.Context, config_path: Path | None, no_connect: bool) -> None:
    """Validate the config and personas (and that sources answer); exit 2 listing every problem."""
    from listener.preflight import folder_problems

    with errors_to_exit():
        config = load(ctx, config_path)
        problems = folder_problems(config)
        problems += [] if no_connect else check_sources(config)
        if problems:
            raise ConfigError(
                problems,
                hint="fix what is named above (for sources only, run with --no-connect to skip "
                "contacting them)",
            )
        echo(
            f"ok: {config.path}: {len(config.sources)} sources, {len(config.personas.personas)} "
            f"personas (version {config.personas.version})"
        )
        if not no_connect:
            for name, text in describe_sources(config):
                echo(f"\n{name}: columns chosen from the data (paste to pin them):")
                echo("\n".join(f"  {line}" for line in text.rstrip().splitlines()))


def check_sources(config: Config) -> list[str]:
    """Ask each enabled source's connector whether it can be read; one line per problem."""
    from connectors.base import ConnectorContext, ConnectorError, ConnectorErrors
    from connectors.registry import REGISTRY
    from listener.runner import USER_AGENT

    problems = []
    for index, source in enumerate(config.sources):
        if not source.spec.enabled:
            continue
        context = ConnectorContext(source.name, base_dir=config.base_dir, user_agent=USER_AGENT)
        connector = REGISTRY[source.spec.type](source.connector, context)
        try:
            connector.check()
        except ConnectorError as exc:
            parts = exc.errors if isinstance(exc, ConnectorErrors) else (exc,)
            problems += [f"{config.path}: sources[{index}] ({source.name}): {e}" for e in parts]
        except Exception as exc:  # a connector bug still belongs in the list, not a traceback
            problems.append(
                f"{config.path}: sources[{index}] ({source.name}): check failed unexpectedly: "
                f"{type(exc).__name__}: {exc}"
            )
    return problems


def describe_sources(config: Config) -> list[tuple[str, str]]:
    """(source, YAML) for sources that chose their own mapping (survey_file without
    text_columns): what `check` prints so the user can see, and pin, the choice."""
    from connectors.base import ConnectorContext, ConnectorError
    from connectors.registry import REGISTRY
    from listener.runner import USER_AGENT

    out = []
    for source in config.sources:
        if not source.spec.enabled:
            continue
        context = ConnectorContext(source.name, base_dir=config.base_dir, user_agent=USER_AGENT)
        connector = REGISTRY[source.spec.type](source.connector, context)
        describe = getattr(connector, "describe", None)
        if describe is None or source.spec.type != "survey_file":
            continue
        try:
            text = describe().get("yaml")
        except ConnectorError:
            continue  # already listed by check_sources
        if isinstance(text, str):
            out.append((source.name, text))
    return out
