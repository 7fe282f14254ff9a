"""The ``type: typeform`` source block: which forms, which questions, which token."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from connectors.configs.network import NetworkConfig
from connectors.segments import check_segment_values


class TypeformConfig(NetworkConfig):
    forms: list[str] = Field(min_length=1)
    """Form ids (the part after /to/ in the form's URL)."""
    token_env: str = "TYPEFORM_TOKEN"
    """Environment variable holding a personal access token (scopes responses:read, forms:read)."""
    api_url: str = "https://api.typeform.com"
    page_size: int = Field(default=1000, ge=1, le=1000)
    text_fields: list[str] | None = None
    """Refs of the questions to read; default: every long-text question."""
    prompts: dict[str, Literal["pain", "aspiration"]] = Field(default_factory=dict)
    segment_fields: dict[str, str] | None = None
    """Ref of a question, or name of a hidden field → segment tag (default: chosen by title)."""
    segment_values: dict[str, dict[str, str]] = Field(default_factory=dict)
    include_partial: bool = False
    """Also read responses that were not submitted (Typeform's partial responses)."""
    backfill_days: int | None = Field(default=None, ge=0)
    """How far back the first run reaches (default: every response the form has)."""
    timeout: float = Field(default=20.0, gt=0)

    @field_validator("forms")
    @classmethod
    def _form_ids(cls, value: list[str]) -> list[str]:
        for form in value:
            if not form or not all(c.isalnum() or c in "-_" for c in form):
                raise ValueError(
                    f"{form!r} is not a form id: use the id from the form's URL "
                    "(https://yourname.typeform.com/to/<form id>)"
                )
        if len(set(value)) != len(value):
            raise ValueError("forms must not repeat")
        return value

    @field_validator("api_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"api_url must start with http:// or https:// (got {value!r})")
        return value.rstrip("/")

    @field_validator("segment_values")
    @classmethod
    def _segment_values(cls, value: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        check_segment_values(value)
        return value
