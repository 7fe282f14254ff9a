"""Config validation: every problem reported at once, each with its file and key path."""

from __future__ import annotations

from pathlib import Path

import pytest

from listener.config import load_config
from listener.durations import parse_duration
from listener.errors import ConfigError
from listener.personas import load_personas
from tests.listener.helpers import EXAMPLE_CONFIG, copy_example


def test_example_config_is_valid_and_resolves_paths_next_to_the_file() -> None:
    config = load_config(EXAMPLE_CONFIG)
    assert [s.name for s in config.sources] == ["smb-forums", "nps-q4"]
    assert config.data_dir == (EXAMPLE_CONFIG.parent / "../data").resolve()
    assert (
        config.database_url
        == f"sqlite:///{(EXAMPLE_CONFIG.parent / '../data/listener.db').resolve()}"
    )
    assert config.outbox == (EXAMPLE_CONFIG.parent / "../outbox").resolve()
    assert len(config.personas.personas) == 4


def test_three_mistakes_are_all_reported_with_key_paths(tmp_path: Path) -> None:
    path = copy_example(
        tmp_path,
        {
            "type: feed": "type: rss",
            "personas: personas.example.yaml": "personas: missing.yaml",
            "every: 1h": "every: -5m",
        },
    )
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    text = "\n".join(raised.value.problems)
    assert "sources[0].type: unknown connector type 'rss'" in text
    assert "known types: " in text and "feed" in text
    assert "personas: " in text and "missing.yaml: personas file not found" in text
    assert "sources[1].every" in text and "must be positive" in text
    assert all(str(path) in problem for problem in raised.value.problems)


def test_unknown_keys_are_rejected_with_their_path(tmp_path: Path) -> None:
    path = copy_example(tmp_path, {"text_columns:": "text_column: [x]\n    text_columns:"})
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert any("sources[1].text_column" in p for p in raised.value.problems)


def test_a_mistyped_key_gets_the_closest_known_key_suggested(tmp_path: Path) -> None:
    path = copy_example(
        tmp_path,
        {
            "timezone: Europe/Berlin": "timezon: Europe/Berlin",  # top level
            '  schedule: "mon 08:00"': '  shedule: "mon 08:00"',  # nested
            "    every: 30m": "    evry: 30m",  # a source's common key
            "text_columns:": "text_column: [x]\n    text_columns:",  # a connector's own key
        },
    )
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    text = "\n".join(raised.value.problems)
    assert "timezon: unknown key (did you mean 'timezone'?)" in text
    assert "digest.shedule: unknown key (did you mean 'schedule'?)" in text
    assert "sources[0].evry: unknown key (did you mean 'every'?)" in text
    assert "sources[1].text_column: unknown key (did you mean 'text_columns'?)" in text


def test_a_misspelt_credential_key_is_suggested_but_its_value_never_shown(tmp_path: Path) -> None:
    """A misspelt `database:` holds a password, a misspelt webhook `url:` its token."""
    path = copy_example(
        tmp_path,
        {"database: sqlite:///../data/listener.db": "databse: postgresql://u:pw-xyz@db/x"},
    )
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    text = "\n".join(raised.value.problems)
    assert "databse: unknown key (did you mean 'database'?)" in text
    assert "pw-xyz" not in text and "(got" not in text


def test_a_mistyped_key_in_the_personas_file_gets_a_suggestion(tmp_path: Path) -> None:
    personas = tmp_path / "personas.yaml"
    personas.write_text(
        "personas:\n  - id: owner\n    name: Owner\n    pains:\n"
        "      - {id: late, label: Late payments, phrase: [late payment]}\n"
    )
    with pytest.raises(ConfigError) as raised:
        load_personas(personas)
    text = "\n".join(raised.value.problems)
    assert "personas[0].pains[0].phrase: unknown key (did you mean 'phrases'?)" in text


def test_env_references_are_expanded_and_missing_ones_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = copy_example(tmp_path, {"timezone: Europe/Berlin": "timezone: ${LISTENER_TEST_TZ}"})
    monkeypatch.setenv("LISTENER_TEST_TZ", "Europe/Vienna")
    assert load_config(path).service.timezone == "Europe/Vienna"
    monkeypatch.delenv("LISTENER_TEST_TZ")
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert any(
        "timezone: environment variable LISTENER_TEST_TZ is not set" in p
        for p in raised.value.problems
    )


def test_bad_values_name_the_fix(tmp_path: Path) -> None:
    path = copy_example(
        tmp_path,
        {
            "timezone: Europe/Berlin": "timezone: Mars/Olympus",
            'schedule: "mon 08:00"': 'schedule: "someday"',
            "every: 30m": 'every: 30m\n    cron: "*/5 * * * *"',
        },
    )
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    text = "\n".join(raised.value.problems)
    assert "timezone" in text and "Europe/Berlin" in text
    assert "digest.schedule" in text and "mon 08:00" in text
    assert "either `every` or `cron`" in text


def test_missing_config_file_has_a_hint(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        load_config(tmp_path / "nope.yaml")
    assert "config file not found" in raised.value.problems[0]
    assert raised.value.hint and "listener.example.yaml" in raised.value.hint


@pytest.mark.parametrize(
    ("text", "seconds"), [("90s", 90), ("30m", 1800), ("6h", 21600), ("1d", 86400)]
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["0m", "-5m", "5 minutes", "m"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_broken_yaml_names_the_line_and_what_to_look_for(tmp_path: Path) -> None:
    path = tmp_path / "listener.yaml"
    path.write_text("sources:\n  - name: x\n    type: feed\n   urls: [a]\n")
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert "not valid YAML" in raised.value.problems[0] and "line 4" in raised.value.problems[0]
    assert raised.value.hint and "indentation" in raised.value.hint
