"""One family of errors that carry their fix; only the CLI turns them into output and exit codes."""

from __future__ import annotations


class ListenerError(Exception):
    """Something the user or operator can fix. ``hint`` says how."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  hint: {self.hint}" if self.hint else self.message


class ConfigError(ListenerError):
    """The config or personas file is wrong. Carries every problem found, not just the first."""

    exit_code = 2

    def __init__(self, problems: list[str], hint: str | None = None) -> None:
        self.problems = problems
        super().__init__("\n".join(problems), hint)


class UsageError(ListenerError):
    """A command was asked for something it cannot do as given (a bad option or value)."""

    exit_code = 2
