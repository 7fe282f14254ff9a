"""Evaluate the extractor on the held-out part of the shared labelled feedback.

    .venv/bin/python bench/eval_nlp.py [--data PATH] [--split heldout|tune|all] [--misses N]

Runs the real extraction path (``Extractor.extract_many``) and scores at the level the labels
have: a review (or labelled sentence) counts as pain when at least one pain statement is found
in it, likewise for aspiration. Prints per-class precision/recall/F1 per data set and pooled,
a confusion table of original labels against what was found, and the worst misses.
The held-out split is fixed by hash (listener/nlp/datasets.py) and never used for tuning.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from listener.nlp import Extractor
from listener.nlp.datasets import Example, default_feedback_dir, load_examples
from listener.nlp.train_classifier import is_dev
from listener.nlp.types import KINDS


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=default_feedback_dir())
    parser.add_argument(
        "--split",
        choices=["heldout", "tune", "dev", "all"],
        default="heldout",
        help="dev: the part of the tuning split used for choices (with --classifier trained "
        "--without-dev); heldout: the figures to report",
    )
    parser.add_argument("--classifier", type=Path, default=None, help="classifier .npz to use")
    parser.add_argument("--misses", type=int, default=8, help="worst misses to print per class")
    parser.add_argument(
        "--model", default=None, help="installed spaCy model (default: blank English)"
    )
    args = parser.parse_args(argv)

    if args.split == "dev":
        examples = [ex for ex in load_examples(args.data, split="tune") if is_dev(ex)]
    else:
        examples = load_examples(args.data, split=args.split)
    extractor = Extractor(args.model, classifier=args.classifier)
    found: list[dict[str, float]] = []
    for statements in extractor.extract_many(ex.text for ex in examples):
        found.append({k: float(any(s.kind == k for s in statements)) for k in KINDS})

    print(f"extractor {extractor.version} on {args.split} split of {args.data}")
    print(f"{len(examples)} examples; stats {extractor.stats.as_dict()}\n")
    print(f"{'class':<11}{'data set':<14}{'n':>6}{'pos':>6}{'P':>8}{'R':>8}{'F1':>8}")
    for kind in KINDS:
        by_set: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
        for ex, f in zip(examples, found, strict=True):
            gold = getattr(ex, kind)
            if gold is None:
                continue
            pred = bool(f[kind])
            for key in (ex.dataset, "pooled", *(["reviews"] if ex.dataset in REVIEWS else [])):
                c = by_set[key]
                c[0] += pred and gold
                c[1] += pred and not gold
                c[2] += gold and not pred
                c[3] += 1
        for name in sorted(by_set, key=lambda n: (n in {"pooled", "reviews"}, n)):
            tp, fp, fn, n = by_set[name]
            p, r, f1 = prf(tp, fp, fn)
            print(f"{kind:<11}{name:<14}{n:>6}{tp + fn:>6}{p:>8.3f}{r:>8.3f}{f1:>8.3f}")
    print("\nconfusion: original label → share found as pain / aspiration / neither")
    confusion: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for ex, f in zip(examples, found, strict=True):
        outcome = "+".join(k for k in KINDS if f[k]) or "neither"
        confusion[(ex.dataset, ex.label)][outcome] += 1
    for (dataset, label), counts in sorted(confusion.items()):
        n = sum(counts.values())
        if n < 10:
            continue
        cells = "  ".join(
            f"{o}={counts[o] / n:.2f}" for o in ("pain", "aspiration", "pain+aspiration", "neither")
        )
        print(f"  {dataset:<12}{label[:32]:<34}{n:>5}  {cells}")
    _print_misses(examples, found, extractor, args.misses)
    return 0


REVIEWS = {"urr", "google_play"}


def _print_misses(
    examples: list[Example], found: list[dict[str, float]], extractor: Extractor, n: int
) -> None:
    """Misses ranked by how wrong the document score was (furthest from the threshold first)."""
    if n <= 0:
        return
    for kind in KINDS:
        for wanted, title in ((True, "missed"), (False, "false alarm")):
            wrong = [
                ex
                for ex, f in zip(examples, found, strict=True)
                if getattr(ex, kind) is wanted and bool(f[kind]) is not wanted
            ]
            scored = sorted(
                ((extractor.margins(ex.text)[kind], ex) for ex in wrong[:2000]),
                key=lambda pair: pair[0] if wanted else -pair[0],
            )
            print(f"\nworst {kind} {title} ({len(wrong)} in all):")
            for margin, ex in scored[:n]:
                text = " ".join(ex.text.split())
                print(f"  [{ex.dataset}/{ex.label}] margin {margin:+.2f}: {text[:160]}")


if __name__ == "__main__":
    raise SystemExit(main())
