"""Values the config takes from the environment: ``${NAME}`` anywhere, and ``*_env`` keys.

Each value is registered with ``listener.secrets`` the moment it is read, so it is masked in
every output from then on, together with the Basic-auth form of each pair of values from one
block (a client id and its secret). ``origins`` remembers which expanded string was written as
which reference, so a config error shows ``${NAME}`` where pydantic would echo the value.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from listener import secrets

ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass
class Expanded:
    value: Any
    origins: dict[str, str] = field(default_factory=dict)
    """Expanded string → the string as written (with its ``${NAME}`` references)."""

    def unexpand(self, text: str) -> str:
        """``text`` with every expanded string put back as written (longest first)."""
        for expanded in sorted(self.origins, key=len, reverse=True):
            if expanded:
                text = text.replace(expanded, self.origins[expanded])
        return text


def expand(
    raw: Any, where: str, problems: list[str], environ: Mapping[str, str] | None = None
) -> Expanded:
    """Replace ${NAME} with the environment's value; a missing variable is a problem, not ''."""
    env = os.environ if environ is None else environ
    result = Expanded(None)
    result.value = _expand(raw, "", where, problems, env, result.origins)
    return result


def _expand(
    value: Any,
    key_path: str,
    where: str,
    problems: list[str],
    env: Mapping[str, str],
    origins: dict[str, str],
) -> Any:
    if isinstance(value, dict):
        out = {
            k: _expand(v, _join(key_path, str(k)), where, problems, env, origins)
            for k, v in value.items()
        }
        _register_block(value, out, env)
        return out
    if isinstance(value, list):
        return [
            _expand(v, f"{key_path}[{i}]", where, problems, env, origins)
            for i, v in enumerate(value)
        ]
    if isinstance(value, str) and "${" in value:

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in env:
                problems.append(
                    f"{where}: {key_path}: environment variable {name} is not set "
                    f"(export it, or put it in the service's environment file)"
                )
                return ""
            secrets.register(env[name])
            return env[name]

        expanded = ENV_REF.sub(substitute, value)
        if expanded != value:
            origins[expanded] = value
        return expanded
    return value


def _register_block(
    written: dict[Any, Any], expanded: dict[Any, Any], env: Mapping[str, str]
) -> None:
    """The block's values from the environment, as one group (for the Basic-auth pairs)."""
    values = [
        expanded[k]
        for k, v in written.items()
        if isinstance(v, str) and "${" in v and isinstance(expanded[k], str)
    ]
    values += [env.get(v) or "" for k, v in expanded.items() if _is_env_key(k, v)]
    secrets.register_block(values)


def register_env_keys(
    blocks: Sequence[Mapping[str, Any]], environ: Mapping[str, str] | None = None
) -> None:
    """Register the variables named by ``*_env`` keys of validated config blocks (their
    defaults included, e.g. REDDIT_CLIENT_SECRET), one group per block."""
    env = os.environ if environ is None else environ
    for block in blocks:
        secrets.register_block(env.get(v) for k, v in block.items() if _is_env_key(k, v))


def _is_env_key(key: Any, value: Any) -> bool:
    return isinstance(key, str) and key.endswith("_env") and isinstance(value, str)


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key
