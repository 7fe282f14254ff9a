"""`listener extract` through click's CliRunner, on the real extractor and matcher."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from listener.cli.extract import extract

REPO = Path(__file__).resolve().parents[3]
PERSONAS = REPO / "config" / "personas.example.yaml"


def run(stdin: str, *args: str) -> tuple[int, list[dict[str, object]], str]:
    result = CliRunner().invoke(extract, list(args), input=stdin)
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    return result.exit_code, lines, result.stderr


def test_one_output_line_per_input_with_spans() -> None:
    text = "Exporting invoices keeps failing with an error. Please add a dark mode."
    code, out, err = run(
        json.dumps({"id": "a1", "text": text}) + "\n" + '{"id": 2, "text": "ok"}\n'
    )
    assert code == 0, err
    assert [o["id"] for o in out] == ["a1", 2]
    statements = out[0]["statements"]
    assert isinstance(statements, list)
    assert {s["kind"] for s in statements} == {"pain", "aspiration"}
    for s in statements:
        assert text[s["start"] : s["end"]] == s["text"]
        assert s["matches"] == []  # no --personas
        assert isinstance(s["theme"], str)
    assert out[1]["statements"] == []
    assert "2 documents" in err


def test_bad_lines_are_reported_with_their_number_and_skipped() -> None:
    stdin = '{"id": 1, "text": "The sync fails."}\n{not json\n\n[1, 2]\n{"id": 5, "text": null}\n'
    code, out, err = run(stdin)
    assert code == 0
    assert [o["id"] for o in out] == [1, 5]
    assert "line 2: not valid JSON" in err
    assert 'line 4: expected an object with a "text" key' in err
    assert "skipped 2 bad lines" in err


def test_reads_a_file_argument(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text('{"id": "x", "text": "Please add recurring invoices."}\n', encoding="utf-8")
    code, out, _ = run("", str(path))
    assert code == 0
    assert out[0]["id"] == "x"
    assert out[0]["statements"][0]["kind"] == "aspiration"


def test_personas_add_matches() -> None:
    line = {
        "id": 1,
        "text": "I waste every evening chasing late payments from clients, it is awful.",
    }
    code, out, err = run(json.dumps(line) + "\n", "--personas", str(PERSONAS))
    assert code == 0, err
    (statement,) = out[0]["statements"]
    assert statement["kind"] == "pain"
    matches = statement["matches"]
    assert ("agency-owner", "late-payments") in {(m["persona"], m["attribute"]) for m in matches}
    assert all(set(m) == {"persona", "attribute", "score"} for m in matches)


def test_missing_personas_file_is_a_usage_error(tmp_path: Path) -> None:
    code, _, err = run("", "--personas", str(tmp_path / "nope.yaml"))
    assert code == 2
    assert "does not exist" in err


def test_ten_thousand_lines_stream_through() -> None:
    texts = [
        "The upload keeps failing.",
        "Love it.",
        "Could you add tags?",
        "Die App stürzt ständig ab, wenn ich exportieren will.",
    ]
    stdin = "".join(json.dumps({"id": i, "text": texts[i % 4]}) + "\n" for i in range(10_000))
    code, out, err = run(stdin, "--batch-size", "500")
    assert code == 0
    assert len(out) == 10_000
    assert [o["id"] for o in out[:3]] == [0, 1, 2]
    assert out[9_996]["statements"][0]["kind"] == "pain"
    assert "2500 non-English" in err


def test_a_model_that_is_not_installed_is_named_with_a_hint() -> None:
    code, _, err = run('{"id": 1, "text": "x"}\n', "--model", "en_core_web_nonexistent")
    assert code == 1
    assert "en_core_web_nonexistent" in err and "hint:" in err
