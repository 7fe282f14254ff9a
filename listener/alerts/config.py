"""``alerts:`` in the config: where trend alerts go."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from listener.drift.config import FINDING_KINDS, FindingKind


class WebhookSinkConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    url: str | None = None
    """The endpoint; a Slack incoming-webhook URL is a secret: write ``${SLACK_WEBHOOK_URL}``."""
    url_env: str | None = None
    """Or the name of the environment variable that holds the URL."""
    secret_env: str | None = None
    """Variable holding a shared secret: the body is then signed (X-Listener-Signature-256)."""
    format: str = Field(default="slack", pattern=r"^(slack|json)$")
    """slack: {"text", "blocks"}; json: the alert as `listener alerts --json` shows it."""
    timeout: float = Field(default=10.0, gt=0, le=120)

    @model_validator(mode="after")
    def _one_url(self) -> WebhookSinkConfig:
        if (self.url is None) == (self.url_env is None):
            raise ValueError("give the webhook either `url` or `url_env`")
        if self.url is not None and not self.url.startswith(("https://", "http://")):
            raise ValueError("`url` is not an http(s) URL (a webhook URL is a secret: not shown)")
        return self


class AlertsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    email: list[str] = Field(default_factory=list)
    """Recipients of one e-mail per alert (through `smtp`, else into the outbox folder)."""
    webhooks: list[WebhookSinkConfig] = Field(default_factory=list)
    kinds: list[FindingKind] = Field(default_factory=lambda: list(FINDING_KINDS))
    """Which kinds of finding are sent (all by default); the digest shows them all anyway."""

    @field_validator("email")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        bad = [r for r in value if "@" not in r]
        if bad:
            raise ValueError(f"not e-mail addresses: {', '.join(bad)}")
        return value

    @model_validator(mode="after")
    def _unique_names(self) -> AlertsConfig:
        names = [w.name for w in self.webhooks]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"webhook names must be unique: {', '.join(dupes)}")
        return self
