"""Loaders for the shared labelled feedback sets, and the fixed split between tuning and held-out.

Used by the training script and by ``bench/eval_nlp.py``; the split is a hash of each example's
dataset and id, so it never changes between runs or machines and nothing held out is tuned on.
Label mappings follow ``../shared/data/README.md``. ``None`` means the set does not label that kind.
"""

from __future__ import annotations

import csv
import hashlib
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from listener.errors import ListenerError

Split = Literal["tune", "heldout", "all"]
HELDOUT_PERCENT = 25
SPLIT_SEED = "listener-nlp-2026"

_TIZARD_PAIN = {
    "apparent bug",
    "unsatisfactory behaviour",
    "negative sentiment-application",
    "dispraise application",
    "dispraise for application",
    "bug confirmation",
}
_TIZARD_ASPIRATION = {"feature request", "motivation fr", "agreeing with the request"}


@dataclass(frozen=True, slots=True)
class Example:
    dataset: str
    id: str
    text: str
    pain: bool | None
    aspiration: bool | None
    label: str
    """The original label, for confusion tables and for reading misses."""


def default_feedback_dir() -> Path:
    """``$LISTENER_SHARED_DATA/feedback`` or ``../shared/data/feedback`` beside the repository."""
    env = os.environ.get("LISTENER_SHARED_DATA")
    base = Path(env) if env else Path(__file__).resolve().parents[3] / "shared" / "data"
    return base / "feedback"


def split_of(dataset: str, example_id: str) -> Literal["tune", "heldout"]:
    digest = hashlib.sha256(f"{SPLIT_SEED}:{dataset}:{example_id}".encode()).digest()
    return "heldout" if int.from_bytes(digest[:4], "big") % 100 < HELDOUT_PERCENT else "tune"


def load_examples(folder: Path, split: Split = "all") -> list[Example]:
    """Every labelled example found under ``folder``; sets whose files are absent are left out."""
    if not folder.is_dir():
        raise ListenerError(
            f"labelled data folder {folder} does not exist",
            hint="pass --data PATH (the shared `feedback` folder) or set LISTENER_SHARED_DATA",
        )
    loaders = (_urr, _google_play, _semeval, _tizard)
    examples = [ex for load in loaders for ex in load(folder)]
    if not examples:
        raise ListenerError(f"no labelled data found in {folder}", hint="see shared/data/README.md")
    if split == "all":
        return examples
    return [ex for ex in examples if split_of(ex.dataset, ex.id) == split]


def _urr(folder: Path) -> Iterator[Example]:
    path = folder / "urr_reviews_data.csv"
    if not path.exists():
        return
    with path.open(encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            complaint = row["IS_COMPLAINT"].strip() == "1"
            yield Example(
                "urr", row["_id"], row["reviewText"] or "", complaint, None,
                "complaint" if complaint else "other",
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
            yield Example(
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
            yield Example(
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
        yield Example(
            "tizard", str(row_id), str(sentence or ""),
            norm in _TIZARD_PAIN, norm in _TIZARD_ASPIRATION, norm,
        )  # fmt: skip
