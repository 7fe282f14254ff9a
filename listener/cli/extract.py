"""`listener extract`: JSON lines in, statements (and persona matches) out, no config needed.

The way anyone can inspect or evaluate the NLP, on the same code path as the daemon. Streams:
lines are read, extracted in batches and written as they go, so memory stays flat however long
the input is. A bad line is reported on stderr with its number and skipped.
"""

from __future__ import annotations

import json
import sys
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import click

from listener.cli.common import errors_to_exit

if TYPE_CHECKING:
    from listener.matching import Match
    from listener.nlp import Statement


def _read(stream: IO[str], ids: deque[Any], errors: list[int]) -> Iterator[str]:
    """Texts for the extractor; each text's id is queued in order for the writer."""
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            _skip(number, f"not valid JSON ({exc.msg} at column {exc.colno})", errors)
            continue
        if not isinstance(record, dict) or "text" not in record:
            _skip(
                number,
                'expected an object with a "text" key, e.g. {"id": 1, "text": "..."}',
                errors,
            )
            continue
        text = record["text"]
        ids.append(record.get("id"))
        yield text if isinstance(text, str) else ""


def _skip(number: int, why: str, errors: list[int]) -> None:
    errors.append(number)
    click.echo(f"line {number}: {why}; skipped", err=True)


@click.command("extract")
@click.argument("file", type=click.File("r", encoding="utf-8", errors="replace"), default="-")
@click.option(
    "--personas",
    "personas_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Personas YAML: adds the persona attributes each statement matches.",
)
@click.option(
    "--model", default=None, help="Installed spaCy model to use (default: blank English)."
)
@click.option("--batch-size", default=256, show_default=True, type=click.IntRange(1, 10_000))
@click.option(
    "--semantic",
    is_flag=True,
    help="The quality path: sentence embeddings for detection and matching (semantic extra).",
)
def extract(
    file: IO[str], personas_path: Path | None, model: str | None, batch_size: int, semantic: bool
) -> None:
    """Find pain and aspiration statements in JSON lines {"id": ..., "text": ...} (FILE or stdin).

    Writes one JSON line per input: {"id": ..., "statements": [{"kind", "text", "start", "end",
    "theme", "matches": [{"persona", "attribute", "score"}]}]}, plus "skipped" (why: "empty",
    "language", "nothing-kept") for an input that gave nothing to read. The same analysis as the
    daemon's: with --personas, persona wording is evidence as it is there.
    """
    from listener.analysis import Analyser  # spaCy: only when extracting, never for --help
    from listener.nlp import Extractor

    with errors_to_exit():
        extractor = Extractor(model, semantic=semantic)
        matcher = _matcher(personas_path, extractor, semantic) if personas_path else None
        analyser = Analyser(extractor, matcher)
        ids: deque[Any] = deque()
        errors: list[int] = []
        out = sys.stdout  # read at call time: click's test runner swaps it
        written = 0
        texts = _read(file, ids, errors)
        for analysis in analyser.analyse_many(texts, batch_size=batch_size):
            record: dict[str, Any] = {
                "id": ids.popleft(),
                "statements": [_dump(s, matches) for s, matches in analysis.statements],
            }
            if analysis.skipped:
                record["skipped"] = analysis.skipped
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            written += 1
        stats = extractor.stats
        click.echo(
            f"extract: {written} documents, {stats.statements} statements "
            f"({stats.pain} pain, {stats.aspiration} aspiration); skipped {len(errors)} bad lines, "
            f"{stats.skipped_empty} empty, {stats.skipped_non_english} non-English; "
            f"extractor {analyser.version}",
            err=True,
        )


def _matcher(path: Path, extractor: Any, semantic: bool) -> Any:
    from listener.matching import PersonaMatcher  # lazy: only needed with --personas
    from listener.personas import load_personas

    personas = load_personas(path)
    if semantic:
        return PersonaMatcher(personas, extractor.nlp, semantic=True)
    return PersonaMatcher(personas, extractor.nlp)


def _dump(statement: Statement, matches: list[Match]) -> dict[str, Any]:
    return {
        "kind": statement.kind,
        "text": statement.text,
        "start": statement.start,
        "end": statement.end,
        "theme": statement.theme,
        "matches": [
            {"persona": m.persona, "attribute": m.attribute, "score": round(m.score, 4)}
            for m in matches
        ],
    }
