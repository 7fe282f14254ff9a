"""The ``type: survey_file`` source block: where the exports are and how to read their columns."""

from __future__ import annotations

import codecs
from typing import Any, Literal

from pydantic import Field, field_validator

from connectors.base import ConnectorConfig, ConnectorError
from connectors.segments import check_segment_values
from connectors.survey_formats import zone


class SurveyFileConfig(ConnectorConfig):
    """Config keys of a ``type: survey_file`` source (their names are part of the product)."""

    path: str
    text_columns: list[str] | None = Field(default=None, min_length=1)
    """The free-text questions; when absent they are chosen from the data (see `check`)."""
    prompts: dict[str, Literal["pain", "aspiration"]] = Field(default_factory=dict)
    """Text column → what its question asks for ("What is the hardest part of your week?":
    pain). The answers are then read as that kind unless they say there is nothing to report."""
    id_column: str | None = None
    time_column: str | None = None
    segment_columns: dict[str, str] | None = None
    """Column → segment tag; when absent (and text_columns too) chosen from the data."""
    segment_values: dict[str, dict[str, str]] = Field(default_factory=dict)
    """Segment tag → {value as the survey writes it: value as the personas write it}."""
    sheets: list[str] = Field(default_factory=list)
    """Sheets of Excel workbooks to read, by name (default: the first sheet)."""
    format: Literal[
        "auto", "plain", "typeform", "surveymonkey", "google_forms", "qualtrics", "limesurvey"
    ] = "auto"
    encoding: str = "auto"
    timezone: str = "UTC"  # for times the export writes without a zone
    day_first: bool = False  # 05/10/2026 is 5 October, not May 10
    settle_seconds: float = Field(default=30.0, ge=0)
    """A CSV whose last row has no line end and that changed this recently is still being
    written: that row waits for the next run."""
    batch_size: int = Field(default=500, ge=1)

    @field_validator("prompts")
    @classmethod
    def _prompts_name_text_columns(cls, value: dict[str, str], info: Any) -> dict[str, str]:
        texts = info.data.get("text_columns")
        unknown = [c for c in value if texts is not None and c not in texts]
        if unknown:
            raise ValueError(f"prompts names columns not in text_columns: {', '.join(unknown)}")
        return value

    @field_validator("segment_values")
    @classmethod
    def _segment_values(cls, value: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        check_segment_values(value)
        return value

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str) -> str:
        if value != "auto":
            try:
                codecs.lookup(value)
            except LookupError as exc:
                raise ValueError(f"unknown encoding {value!r} (try utf-8 or cp1252)") from exc
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            zone(value)
        except ConnectorError as exc:
            raise ValueError(str(exc)) from exc
        return value
