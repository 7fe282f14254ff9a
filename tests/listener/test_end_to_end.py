"""`listener run --once` over the bundled example: the newcomer's first command, end to end."""

from __future__ import annotations

import email
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from listener.cli import main
from tests.listener.helpers import copy_example

AS_OF = "2026-11-23T12:00"  # the example data covers the six weeks before this


@pytest.fixture
def example(tmp_path: Path) -> Path:
    return copy_example(tmp_path)


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["--log-level", "warning", *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_run_once_stores_evidence_and_writes_the_digest(example: Path, tmp_path: Path) -> None:
    code, out, err = _run("run", "--once", "-c", str(example), "--as-of", AS_OF)
    assert code == 0, err
    summary = out.strip().splitlines()[-1]
    match = re.search(r"stored (\d+) items, (\d+) statements, (\d+) evidence", summary)
    assert match, summary
    items, statements, evidence = map(int, match.groups())
    assert items >= 150 and statements > 0 and evidence > 0
    eml = tmp_path / "outbox" / "digest-2026-W47.eml"  # named by the week it reports on
    # Since issue 8, persona wording in unprompted answers is evidence too: the example's week
    # of late-payment answers (10 from 9 people against about 1 a week) is a rising alert.
    assert str(eml) in summary and "alerts: 1 for 2026-W47" in summary
    message = email.message_from_bytes(eml.read_bytes())
    assert message["Subject"].startswith("Listener 2026-W47: ")
    html = (tmp_path / "outbox" / "digest-2026-W47.html").read_text()
    series = [
        int(n) for n in re.findall(r'aria-label="people per week: ([\d, ]+)"', html)[0].split(", ")
    ]
    assert sum(series) > 0, "the digest shows no evidence"
    assert "Chasing late payments" in html and "Steady:" in html


def test_second_run_adds_nothing_and_says_so(example: Path) -> None:
    _run("run", "--once", "-c", str(example), "--as-of", AS_OF)
    code, first_status, _ = _run("status", "--json", "-c", str(example))
    code, out, err = _run("run", "--once", "-c", str(example), "--as-of", AS_OF)
    assert code == 0, err
    assert "nothing new: 0 items, 0 statements, 0 evidence added" in out
    assert "digest for 2026-W47 already written" in out
    _, second_status, _ = _run("status", "--json", "-c", str(example))
    assert json.loads(first_status)["totals"] == json.loads(second_status)["totals"]


def test_status_json_shape_for_scripts(example: Path) -> None:
    _run("run", "--once", "-c", str(example), "--as-of", AS_OF)
    code, out, _ = _run("status", "--json", "-c", str(example))
    assert code == 0
    data = json.loads(out)
    assert set(data["totals"]) == {"items", "statements", "evidence"}
    names = [s["name"] for s in data["sources"]]
    assert names == ["smb-forums", "nps-q4"]
    assert sum(s["items"] for s in data["sources"]) == data["totals"]["items"]
    assert all(s["health"] == "ok" for s in data["sources"])


def test_report_table_lists_attributes_by_week(example: Path) -> None:
    _run("db", "upgrade", "-c", str(example))
    code, empty, err = _run("report", "-c", str(example), "--by-segment", "company_size")
    assert code == 0, err
    assert "no evidence in these weeks" in empty  # before any run: said, not a bare header
    _run("run", "--once", "-c", str(example), "--as-of", AS_OF)
    code, out, _ = _run("report", "-c", str(example), "--weeks", "60", "--json")
    assert code == 0
    data = json.loads(out)
    assert sum(row["total"] for row in data["rows"]) > 0
    code, table, _ = _run("report", "-c", str(example), "--weeks", "60")
    assert table.splitlines()[0].startswith("PERSONA") and "TOTAL" in table.splitlines()[0]
    code, by_size, _ = _run(
        "report", "-c", str(example), "--weeks", "60", "--by-segment", "company_size"
    )
    assert "COMPANY_SIZE" in by_size.splitlines()[0] and "no evidence" not in by_size
    code, _, err = _run(
        "report", "-c", str(example), "--weeks", "60", "--by-segment", "company-size"
    )  # a mistyped tag used to list every row under "(none)"
    assert code == 2
    assert "'company-size'" in err and "company_size" in err.split("tags seen:")[1]


def test_a_failing_source_does_not_stop_the_others(example: Path) -> None:
    text = example.read_text().replace(
        "path: examples/surveys/nps.csv", "path: examples/surveys/gone.csv"
    )
    example.write_text(text)
    code, out, err = _run("run", "--once", "-c", str(example), "--as-of", AS_OF)
    assert code == 1
    assert "source nps-q4: failed" in err
    assert "1 source(s) failed" in out
    _, status, _ = _run("status", "--json", "-c", str(example))
    health = {s["name"]: s for s in json.loads(status)["sources"]}
    assert health["smb-forums"]["health"] == "ok" and health["smb-forums"]["items"] > 0
    assert health["nps-q4"]["health"] == "failing"
    assert "gone.csv" in health["nps-q4"]["last_error"]
    _, table, _ = _run("status", "-c", str(example))
    assert "failing" in table and "last errors:" in table


def test_check_names_all_three_mistakes(tmp_path: Path) -> None:
    bad = copy_example(
        tmp_path,
        {
            "type: feed": "type: rss",
            "personas: personas.example.yaml": "personas: missing.yaml",
            "every: 1h": "every: -5m",
        },
    )
    code, _, err = _run("check", "-c", str(bad))
    assert code == 2
    assert "sources[0].type" in err and "rss" in err
    assert "personas" in err and "missing.yaml" in err
    assert "sources[1].every" in err


def test_check_passes_on_the_example(example: Path) -> None:
    code, out, err = _run("check", "-c", str(example))
    assert code == 0, err
    assert out.startswith("ok: ")


def test_digest_command_resends_only_when_forced(example: Path, tmp_path: Path) -> None:
    _run("run", "--once", "-c", str(example), "--as-of", AS_OF)
    eml = tmp_path / "outbox" / "digest-2026-W47.eml"
    eml.unlink()
    code, out, _ = _run("digest", "-c", str(example), "--week", "2026-W47")
    assert code == 0 and "already written" in out and not eml.exists()
    code, out, _ = _run("digest", "-c", str(example), "--week", "2026-W47", "--force")
    assert code == 0 and "written" in out and eml.exists()
    code, _, err = _run("digest", "-c", str(example), "--week", "last week")
    assert code == 2 and "not an ISO week" in err


def test_rescore_after_a_personas_change_replaces_evidence(example: Path) -> None:
    _run("run", "--once", "-c", str(example), "--as-of", AS_OF)
    personas = example.parent / "personas.example.yaml"
    text = personas.read_text()
    assert "- id: late-payments" in text
    personas.write_text(text.replace("- id: late-payments", "- id: slow-payers"))
    _, status, _ = _run("status", "--json", "-c", str(example))
    pending = {s["name"]: s["pending"] for s in json.loads(status)["sources"]}
    assert pending == {"smb-forums": 33, "nps-q4": 153}  # all stale under the new personas
    code, out, err = _run("rescore", "-c", str(example))
    assert code == 0, err
    assert re.match(r"rescored \d+ items: \d+ statements, \d+ evidence", out)
    moved = dict(re.findall(r"^  agency-owner/([a-z-]+): (\d+ → \d+)", out, re.MULTILINE))
    n = moved["late-payments"].split(" → ")[0]
    assert int(n) > 0 and moved == {"late-payments": f"{n} → 0", "slow-payers": f"0 → {n}"}
    _, report, _ = _run("report", "-c", str(example), "--weeks", "60", "--json")
    attributes = {row["attribute"]: row["total"] for row in json.loads(report)["rows"]}
    assert "late-payments" not in attributes and attributes["slow-payers"] > 0


def test_db_upgrade_reports_revision(example: Path) -> None:
    code, out, _ = _run("db", "upgrade", "-c", str(example))
    assert code == 0 and "was empty" in out
    code, out, _ = _run("db", "upgrade", "-c", str(example))
    assert "already current" in out


def test_one_broken_feed_degrades_its_source_without_backing_it_off(example: Path) -> None:
    text = example.read_text().replace(
        "      - examples/feeds/bookkeeping-blog.atom",
        "      - examples/feeds/bookkeeping-blog.atom\n      - examples/feeds/missing.xml",
    )
    example.write_text(text)
    code, _, err = _run("run", "--once", "-c", str(example), "--as-of", AS_OF)
    assert code == 0
    assert "source smb-forums: partly failed" in err and "missing.xml" in err
    _, status, _ = _run("status", "--json", "-c", str(example))
    forum = next(s for s in json.loads(status)["sources"] if s["name"] == "smb-forums")
    assert forum["health"] == "degraded" and forum["items"] == 33
    assert forum["consecutive_failures"] == 0 and "missing.xml" in forum["last_error"]


def test_adding_prompts_later_applies_to_stored_answers(tmp_path: Path) -> None:
    prompts = (
        "    prompts:                              # what each question asks for (optional)\n"
        "      What is the hardest part of your week?: pain\n"
        "      If you could wave a magic wand, what would our product do for you?: aspiration\n"
    )
    example = copy_example(tmp_path, {prompts: ""})
    _run("run", "--once", "-c", str(example), "--as-of", AS_OF)
    _, before, _ = _run("status", "--json", "-c", str(example))
    survey_before = next(s for s in json.loads(before)["sources"] if s["name"] == "nps-q4")
    text = example.read_text()
    example.write_text(
        text.replace("    id_column: Response ID\n", prompts + "    id_column: Response ID\n")
    )
    code, out, _ = _run("run", "--once", "-c", str(example), "--as-of", AS_OF)
    assert code == 0 and "153 updated" in out
    _, after, _ = _run("status", "--json", "-c", str(example))
    survey_after = next(s for s in json.loads(after)["sources"] if s["name"] == "nps-q4")
    assert survey_after["items"] == survey_before["items"] == 153
    # Persona wording already makes many plain answers evidence; the prompts frame the rest.
    assert survey_after["statements"] > survey_before["statements"]
