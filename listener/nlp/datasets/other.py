"""The sets from other domains: airline tweets, suggestion sets, product reviews, pros/cons.

Traps from ``../shared/data/README.md`` handled here:

- Negi's ``hotel.txt`` holds every SemEval-2019 9B evaluation sentence: it is never loaded, and
  9B's evaluation file is always held out (9B's trial file, minus sentences also in the
  evaluation file, is tuning data).
- Liu's ``product_reviews_1`` is Negi's ``electronics.txt``: both split by the sentence's text
  in one group, so a sentence is held out in both or in neither.
- Duplicate tweets (retweets, copies) and pros/cons texts: split by text, so copies stay on one
  side; texts that occur as both a pro and a con are dropped.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterator
from pathlib import Path

from listener.nlp.datasets.core import Example, example, text_key

ELECTRONICS_GROUP = "electronics-sentences"


def _airline(folder: Path) -> Iterator[Example]:
    """Pain: negative with a reason other than "Can't Tell"; positive: none; the rest unscored."""
    path = folder / "twitter_airline_sentiment" / "Tweets.csv"
    if not path.exists():
        return
    seen: set[str] = set()
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            text = row["text"] or ""
            key = text_key(text)
            if key in seen:
                continue
            seen.add(key)
            sentiment, reason = row["airline_sentiment"], (row["negativereason"] or "").strip()
            if sentiment == "negative" and reason and reason != "Can't Tell":
                pain: bool | None = True
            elif sentiment == "positive":
                pain = False
            else:
                pain = None  # neutral tweets carry some problems; "Can't Tell" is unclear
            label = f"{sentiment}/{reason}" if reason else sentiment
            yield example("airline", key, text, pain, None, label)


def _tsv(path: Path, encoding: str) -> Iterator[tuple[str, str, str]]:
    raw = path.read_bytes().decode(encoding, errors="replace")
    for line in raw.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        parts = line.split("\t")
        if len(parts) >= 3 and parts[-1].strip() in {"0", "1"}:
            yield parts[0], "\t".join(parts[1:-1]).strip().strip('"'), parts[-1].strip()


def _negi(folder: Path) -> Iterator[Example]:
    base = folder / "negi_suggestion_mining"
    for name, dataset, encoding, group in (
        ("electronics.txt", "negi_electronics", "utf-8", ELECTRONICS_GROUP),
        ("TravelAdviceRetagged.txt", "negi_travel", "latin-1", None),
    ):
        path = base / name
        if not path.exists():
            continue
        for _id, text, label in _tsv(path, encoding):
            suggestion = label == "1"
            yield example(
                dataset, text_key(text), text, None, suggestion,
                "suggestion" if suggestion else "other", group=group,
            )  # fmt: skip
    path = base / "SuggHashtagTweets.csv"
    if path.exists():
        raw = path.read_bytes().decode("latin-1").replace("\r\n", "\n").replace("\r", "\n")
        seen: set[str] = set()
        for row in csv.DictReader(raw.splitlines(keepends=True)):
            text, label = row.get("text") or "", (row.get("expert label") or "").strip()
            key = text_key(text)
            if label not in {"0", "1"} or key in seen:
                continue
            seen.add(key)
            yield example(
                "negi_tweets", key, text, None, label == "1",
                "suggestion" if label == "1" else "other",
            )  # fmt: skip


def _semeval_9b(folder: Path) -> Iterator[Example]:
    base = folder / "semeval2019_task9b_hotel"
    evaluation = base / "SubtaskB_EvaluationData_labeled.csv"
    trial = base / "SubtaskB_Trial_Test_Labeled.csv"
    held: set[str] = set()
    if evaluation.exists():
        with evaluation.open(encoding="utf-8", errors="replace", newline="") as fh:
            for row in csv.reader(fh):
                if len(row) != 3 or row[2].strip() not in {"0", "1"}:
                    continue
                held.add(text_key(row[1]))
                yield _hotel("semeval9b", row[0], row[1], row[2], "heldout")
    if trial.exists():
        with trial.open(encoding="utf-8", errors="replace", newline="") as fh:
            for row in csv.reader(fh):
                if len(row) != 3 or row[2].strip() not in {"0", "1"}:
                    continue
                if text_key(row[1]) not in held:
                    yield _hotel("semeval9b_trial", row[0], row[1], row[2], "tune")


def _hotel(dataset: str, key: str, text: str, label: str, split: str) -> Example:
    suggestion = label.strip() == "1"
    ex = example(dataset, key, text, None, suggestion, "suggestion" if suggestion else "other")
    return Example(ex.dataset, ex.id, ex.text, None, suggestion, ex.label, split)  # type: ignore[arg-type]


_TAGS = re.compile(r"\[[^\]]*\]")
_NEGATIVE = re.compile(r"\[-\d\]")
_OPINION = re.compile(r"\[[+-]\d\]")


def _liu_reviews(folder: Path) -> Iterator[Example]:
    """Pain: a sentence tagged ``[-n]``; none: a sentence with no opinion tag; the rest unscored."""
    base = folder / "liu_pros_cons_reviews"
    for sub in ("product_reviews_1", "product_reviews_2"):
        for path in sorted((base / sub).glob("*.txt")):
            if path.name.lower() == "readme.txt":
                continue
            for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
                if "##" not in line or line.startswith("*"):
                    continue
                tags, text = line.split("##", 1)
                text = text.strip()
                if not text:
                    continue
                if _NEGATIVE.search(tags):
                    pain: bool | None = True
                elif _OPINION.search(tags):
                    continue  # positive opinions only: neither pain nor a clean negative
                else:
                    pain = False
                group = ELECTRONICS_GROUP if sub == "product_reviews_1" else None
                yield example(
                    "liu_reviews", text_key(text), text, pain, None,
                    "negative" if pain else "no opinion", group=group,
                )  # fmt: skip


_CONS_NON_ANSWER = re.compile(
    r"^\W*(none|nothing|n/?a|no cons?|not (a )?(one|thing)|zero|nada|can'?t think|have(n'?t| not)"
    r" (found|seen|had|noticed)|so far,? none|no complaints|not yet|no problems?( yet| so far)?"
    r"\W*$|no negatives?|no real|nothing (yet|really|so far))",
    re.IGNORECASE,
)
_PROS_CONS = re.compile(r"<(Pros|Cons)>(.*?)</\1>", re.DOTALL)


def _pros_cons(folder: Path) -> Iterator[Example]:
    """Pain: a Cons line, except "None"-style non-answers; none: a Pros line."""
    base = folder / "liu_pros_cons_reviews" / "pros_cons"
    sides: dict[str, set[str]] = {}
    rows: list[tuple[str, str]] = []
    for name in ("IntegratedCons.txt", "IntegratedPros.txt"):
        path = base / name
        if not path.exists():
            continue
        for match in _PROS_CONS.finditer(path.read_text(encoding="utf-8", errors="replace")):
            side, text = match.group(1), match.group(2).strip()
            if text:
                rows.append((side, text))
                sides.setdefault(text_key(text), set()).add(side)
    seen: set[str] = set()
    for side, text in rows:
        key = text_key(text)
        if len(sides[key]) > 1 or key in seen:
            continue  # the same words as a pro and a con: no label to learn from
        seen.add(key)
        pain = side == "Cons" and not _CONS_NON_ANSWER.search(text)
        label = side.lower() if side == "Pros" or pain else "cons/non-answer"
        yield example("pros_cons", key, text, pain, None, label)


OTHER_LOADERS: tuple[Callable[[Path], Iterator[Example]], ...] = (
    _airline,
    _negi,
    _semeval_9b,
    _liu_reviews,
    _pros_cons,
)
