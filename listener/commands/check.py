"""`listener check`: beyond the config's shape, ask each source whether it can be read."""

from __future__ import annotations

from connectors.base import ConnectorContext, ConnectorError
from connectors.registry import REGISTRY
from listener.config import Config
from listener.runner import USER_AGENT


def check_sources(config: Config) -> list[str]:
    problems = []
    for index, source in enumerate(config.sources):
        if not source.spec.enabled:
            continue
        context = ConnectorContext(source.name, base_dir=config.base_dir, user_agent=USER_AGENT)
        connector = REGISTRY[source.spec.type](source.connector, context)
        try:
            connector.check()
        except ConnectorError as exc:
            problems.append(f"{config.path}: sources[{index}] ({source.name}): {exc}")
        except Exception as exc:  # a connector bug still belongs in the list, not a traceback
            problems.append(
                f"{config.path}: sources[{index}] ({source.name}): check failed unexpectedly: "
                f"{type(exc).__name__}: {exc}"
            )
    return problems
