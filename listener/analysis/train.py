"""Train the evidence model from dev data: persona hits in labelled texts, and whether they count.

    python -m listener.analysis.train [--data PATH] [--out listener/analysis/data/evidence.json]

Pairs come from the tuning split only: URR reviews with the mobile-app personas
(``bench/linking/``; a complaint with topic X is evidence for X), Google Play reviews with the
same personas (weak labels: a bug report's pain hits count, a feature request's aspiration hits
count), and the hand-written B2B answers with the project-management personas
(``bench/data/personas.pm-saas.yaml``), prompted and not.
threshold is chosen there (best F1 over document × attribute pairs, misses without any hit
included), then the weights are refitted on everything.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

from listener.analysis.evidence_file import DEFAULT_FILE, FEATURES
from listener.analysis.model import EvidenceModel
from listener.analysis.signals import signals, vetoed
from listener.matching import PersonaMatcher
from listener.nlp import Extractor
from listener.nlp.datasets import Example, default_feedback_dir, handwritten_dir, load_examples
from listener.nlp.reading import Reading
from listener.nlp.train_classifier import fit, fold_of
from listener.nlp.types import KINDS
from listener.personas import PersonaSet, load_personas

REPO = Path(__file__).resolve().parents[2]
MOBILE = REPO / "bench" / "linking" / "personas.mobile-app.yaml"
TOPICS = REPO / "bench" / "linking" / "topics.json"
PM_SAAS = REPO / "bench" / "data" / "personas.pm-saas.yaml"
L2 = 1.0
FOLDS = 5

Pair = tuple[str, int]  # (example key, target)


@lru_cache(maxsize=1)
def _topics() -> dict[str, str]:
    """Attribute id → URR topic column, for the mobile-app personas."""
    return dict(json.loads(TOPICS.read_text()))


def topic_gold(ex: Example, kind: str, attribute: str) -> bool:
    """URR: a complaint with the attribute's topic; others: the example's label for the kind."""
    if ex.dataset == "urr":
        topic = _topics().get(attribute)
        return bool(kind == "pain" and ex.pain and topic in ex.topics)
    return bool(getattr(ex, kind))


def collect(
    extractors: list[Extractor],
    matcher: PersonaMatcher,
    examples: list[Example],
    prompt: str | None = None,
) -> tuple[list[np.ndarray], list[Pair], dict[Pair, bool]]:
    """Signal rows and owners of every unvetoed hit, and gold labels: for URR every (review,
    pain attribute) pair (its topics say which attributes it is about); elsewhere only the
    pairs with a hit (a bug report's hit counts, but a missing hit is not a miss)."""
    rows: list[np.ndarray] = []
    owners: list[Pair] = []
    current: list[Example] = []

    def annotate(doc: Any, arrays: Any, reading: Reading) -> None:
        ex = current[0]
        for i, sent in enumerate(reading.sentences):
            for hit in matcher.hits(
                arrays.lowers, arrays.space, sent.token_start, sent.token_end, doc.vocab.strings
            ):
                k = KINDS.index(matcher.targets[hit.target].kind)
                if vetoed(reading, i, hit, k, arrays.punct):
                    continue
                rows.append(signals(reading, i, hit, k, reading.prompt))
                owners.append((key_of(ex), hit.target))

    for ex in examples:
        current[:] = [ex]
        # the classifier that did not see this example: its margins are what the daemon sees
        extractor = extractors[fold_of(ex) % len(extractors)]
        list(extractor.read_many([ex.text], prompts=[prompt], annotate=annotate))
    gold: dict[Pair, bool] = {}
    for ex in examples:
        if ex.dataset != "urr":
            continue
        for t, target in enumerate(matcher.targets):
            if target.kind == "pain":
                gold[(key_of(ex), t)] = topic_gold(ex, target.kind, target.attribute)
    by_key = {key_of(ex): ex for ex in examples}
    for key, t in owners:
        if (key, t) not in gold:
            gold[(key, t)] = bool(getattr(by_key[key], matcher.targets[t].kind))
    return rows, owners, gold


def key_of(ex: Example) -> str:
    return f"{ex.dataset}:{ex.id}"


def pair_f1(p: np.ndarray, owners: list[Pair], gold: dict[Pair, bool], t: float) -> float:
    accepted = {o for o, q in zip(owners, p.tolist(), strict=True) if q >= t}
    tp = sum(1 for o in accepted if gold.get(o))
    fp = sum(1 for o in accepted if o in gold and not gold[o])
    fn = sum(1 for o, g in gold.items() if g and o not in accepted)
    return 2 * tp / max(1, 2 * tp + fp + fn)


def train(
    folder: Path, fold_classifiers: list[Path] | None = None, log: bool = True
) -> EvidenceModel:
    extractors = [Extractor(classifier=p) for p in fold_classifiers or [None]]  # type: ignore[list-item]
    extractor = extractors[0]
    tune = load_examples(folder, split="tune", handwritten=handwritten_dir())
    b2b = [ex for ex in tune if ex.dataset == "b2b_survey"]
    sets: list[tuple[PersonaSet, list[Example], str | None]] = [
        (load_personas(MOBILE), [ex for ex in tune if ex.dataset in {"urr", "google_play"}], None),
        (load_personas(PM_SAAS), b2b, None),
        # The same answers as replies to "What is the hardest part of your week?": the prompt
        # frames them, and the model learns what that is worth.
        (load_personas(PM_SAAS), b2b, "pain"),
    ]
    rows: list[np.ndarray] = []
    owners: list[Pair] = []
    gold: dict[Pair, bool] = {}
    for n, (personas, examples, prompt) in enumerate(sets):
        matcher = PersonaMatcher(personas, extractor.nlp)
        r, o, g = collect(extractors, matcher, examples, prompt)
        rows += r
        owners += [(f"{n}/{key}", t) for key, t in o]
        gold.update({(f"{n}/{key}", t): v for (key, t), v in g.items()})
    x = np.vstack(rows)
    y = np.array([float(gold.get(o, False)) for o in owners])
    # App reviews give a hundred times more hits than the B2B answers: each family weighs the
    # same, and the threshold maximises the mean of their F1s, so neither register decides alone.
    family = np.array([_family(o[0]) for o in owners])
    sw = np.array([len(family) / (2 * np.sum(family == f)) for f in family])
    # Out-of-fold probabilities (folds by document, so a document's hits stay together): the
    # hand-written family is small, and one dev part of it would make the threshold a coin toss.
    fold = np.array([_fold(o[0]) for o in owners])
    p = np.zeros(len(y))
    for f in range(FOLDS):
        w, b = fit(sparse.csr_matrix(x[fold != f]), y[fold != f], L2, sw[fold != f])
        p[fold == f] = EvidenceModel(w, b, 0.5, {}).probability(x[fold == f])
    grid = []
    for t in np.arange(0.1, 0.91, 0.05):
        f1s = []
        for name in sorted(set(family.tolist())):
            mask = family == name
            owners_f = [o for o, m in zip(owners, mask.tolist(), strict=True) if m]
            gold_f = {o: v for o, v in gold.items() if _family(o[0]) == name}
            f1s.append(pair_f1(p[mask], owners_f, gold_f, float(t)))
        grid.append((float(np.mean(f1s)), round(float(t), 2)))
    f1, threshold = max(grid)
    w, b = fit(sparse.csr_matrix(x), y, L2, sw)
    meta: dict[str, object] = {
        "pairs": len(y),
        "positive": int(y.sum()),
        "cross_validated_pair_f1": round(f1, 4),
        "l2": L2,
    }
    if log:
        print(
            f"evidence: {len(y)} hits, out-of-fold mean pair F1 {f1:.3f} at threshold {threshold}",
            file=sys.stderr,
        )
        for name, weight in zip(FEATURES, w.tolist(), strict=True):
            print(f"  {name:<16}{weight:+.3f}", file=sys.stderr)
    return EvidenceModel(w, b, threshold, meta)


def _fold(key: str) -> int:
    return int.from_bytes(hashlib.sha256(key.split("/", 1)[1].encode()).digest()[:4], "big") % FOLDS


def _family(key: str) -> str:
    return "reviews" if key.startswith("0/") else "b2b"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=default_feedback_dir())
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "data" / DEFAULT_FILE)
    parser.add_argument(
        "--fold-classifiers",
        type=Path,
        nargs=2,
        default=None,
        help="classifiers trained --without-fold 0 and --without-fold 1 (out-of-fold margins)",
    )
    args = parser.parse_args(argv)
    model = train(args.data, args.fold_classifiers)
    model.save(args.out)
    print(f"wrote {args.out}: {model.meta}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
