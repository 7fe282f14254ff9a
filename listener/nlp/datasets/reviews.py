"""App reviews and developer-forum sentences (the first sets), and the hand-written dev sets.

Their split is keyed by each row's id, as before, so their held-out rows stayed the same.
"""

from __future__ import annotations

import csv
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

from listener.nlp.datasets.core import Example, example, text_key

_TIZARD_PAIN = {
    "apparent bug",
    "unsatisfactory behaviour",
    "negative sentiment-application",
    "dispraise application",
    "dispraise for application",
    "bug confirmation",
}
_TIZARD_ASPIRATION = {"feature request", "motivation fr", "agreeing with the request"}


def _urr(folder: Path) -> Iterator[Example]:
    path = folder / "urr_reviews_data.csv"
    if not path.exists():
        return
    with path.open(encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            complaint = row["IS_COMPLAINT"].strip() == "1"
            topics = frozenset(
                k for k, v in row.items() if k and k.startswith("IS_") and k != "IS_COMPLAINT"
                and (v or "").strip() == "1"
            )  # fmt: skip
            yield example(
                "urr", row["_id"], row["reviewText"] or "", complaint, None,
                "complaint" if complaint else "other", topics=topics,
            )  # fmt: skip


def _google_play(folder: Path) -> Iterator[Example]:
    path = folder / "google_play_reviews_unbalanced_4000.xlsx"
    if not path.exists():
        return
    import openpyxl  # test extra: only the evaluation and training read the .xlsx set

    workbook = openpyxl.load_workbook(path, read_only=True)
    try:
        rows = workbook.active.iter_rows(values_only=True)
        header = [str(c) for c in next(rows)]
        id_col, text_col, label_col = (
            header.index("ID"),
            header.index("review"),
            header.index("label"),
        )
        for row in rows:
            label = str(row[label_col]).strip().lower()
            yield example(
                "google_play", str(row[id_col]), str(row[text_col] or ""),
                label == "bug report", label == "feature request", label,
            )  # fmt: skip
    finally:
        workbook.close()


def _semeval(folder: Path) -> Iterator[Example]:
    path = folder / "semeval2019_task9" / "V1.4_Training.csv"
    if not path.exists():
        return
    with path.open(encoding="utf-8", errors="replace", newline="") as fh:
        for row in csv.reader(fh):
            if len(row) != 3 or row[2].strip() not in {"0", "1"}:
                continue
            text = row[1].strip()
            if len(text) >= 2 and text.startswith('"') and text.endswith('"'):
                text = text[1:-1]
            suggestion = row[2].strip() == "1"
            yield example(
                "semeval", row[0], text, None, suggestion, "suggestion" if suggestion else "other"
            )


def _tizard(folder: Path) -> Iterator[Example]:
    path = folder / "tizard_vlc_forum_2019" / "VLC_labelled_sentences_4RE.sqlite"
    if not path.exists():
        return
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        rows = conn.execute("SELECT id, sentence, label FROM labelled_sentences").fetchall()
    for row_id, sentence, label in rows:
        norm = " ".join(str(label or "").lower().split())
        yield example(
            "tizard", str(row_id), str(sentence or ""),
            norm in _TIZARD_PAIN, norm in _TIZARD_ASPIRATION, norm,
        )  # fmt: skip


REVIEW_LOADERS: tuple[Callable[[Path], Iterator[Example]], ...] = (
    _urr,
    _google_play,
    _semeval,
    _tizard,
)


def load_handwritten(folder: Path) -> Iterator[Example]:
    """``bench/data/*.tsv``: pain, aspiration, text per line; the file name is the data set."""
    for path in sorted(folder.glob("*.tsv")):
        dataset = path.stem
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                if not line.strip() or line.startswith("#"):
                    continue
                pain, aspiration, text = line.rstrip("\n").split("\t", 2)
                label = "+".join(k for k, v in (("pain", pain), ("aspiration", aspiration))
                                 if v == "1") or "neither"  # fmt: skip
                yield example(dataset, text_key(text), text, pain == "1", aspiration == "1", label)
