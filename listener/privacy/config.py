"""``privacy:`` and ``retention:`` in the config."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


class PrivacyConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    author_key_env: str = Field(default="LISTENER_AUTHOR_KEY", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    """The variable holding the key authors are hashed with (HMAC-SHA256)."""
    author_key_file: Path | None = None
    """Where the key is read from when the variable is unset (a mounted secret). Default:
    ``author.key`` in ``data_dir``, created there on first use when the database is SQLite."""


class RetentionConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    raw_text_days: int | None = Field(default=None, ge=1, le=36500)
    """Items' title and text (and quarantined excerpts) older than this many days are blanked;
    statements, evidence and counts stay. None keeps the text."""
