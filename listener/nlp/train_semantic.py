"""Train the semantic path's sentence head (needs the ``semantic`` extra; runs offline).

    python -m listener.nlp.train_classifier --without-dev --out /tmp/without-dev.npz
    python -m listener.nlp.train_semantic --search-classifier /tmp/without-dev.npz [--per-set N]

Embeds up to N tuning texts per data set (all-MiniLM-L6-v2 on the CPU is the slow part, so the
sets are sampled by hash, deterministically), fits one logistic-regression head per kind over the
embeddings with the same set weights as the linear classifier, then on a sample of the dev part
chooses how much the head counts next to the linear classifier (``beta``) and the decision
thresholds, running the extractor's real decision. The held-out split is never read.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

import numpy as np

from listener.nlp.datasets import Example, default_feedback_dir, handwritten_dir, load_examples
from listener.nlp.semantic import HEAD_FILE, Encoder, SemanticHead
from listener.nlp.train_classifier import best_threshold, fit, is_dev, set_weights
from listener.nlp.types import KINDS

BETAS = (0.25, 0.5, 1.0, 2.0)
L2 = 1.0


class CachedEncoder(Encoder):
    """Each distinct text is embedded once however often the dev search asks for it."""

    def __init__(self) -> None:
        super().__init__()
        self.cache: dict[str, np.ndarray] = {}

    def encode(self, texts: list[str]) -> np.ndarray:
        missing = list(dict.fromkeys(t for t in texts if t not in self.cache))
        if missing:
            for text, vector in zip(missing, super().encode(missing), strict=True):
                self.cache[text] = vector
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        return np.stack([self.cache[t] for t in texts])


def sample(examples: list[Example], per_set: int) -> list[Example]:
    def key(ex: Example) -> bytes:
        return hashlib.sha256(f"semantic:{ex.dataset}:{ex.id}".encode()).digest()

    by_set: dict[str, list[Example]] = {}
    for ex in sorted(examples, key=key):
        by_set.setdefault(ex.dataset, []).append(ex)
    return [ex for group in by_set.values() for ex in group[:per_set]]


def train(
    folder: Path,
    per_set: int,
    dev_per_set: int,
    search_classifier: Path | None = None,
    log: bool = True,
) -> SemanticHead:
    """``search_classifier``: a linear classifier trained without the dev part
    (``train_classifier --without-dev``), so that beta and the thresholds are chosen against
    margins it did not fit; the shipped classifier has seen the dev part."""
    from listener.nlp.extractor import Extractor
    from listener.nlp.model import load_model

    classifier = load_model(search_classifier)
    tune = load_examples(folder, split="tune", handwritten=handwritten_dir())
    fit_rows = sample([ex for ex in tune if not is_dev(ex)], per_set)
    dev_rows = sample([ex for ex in tune if is_dev(ex)], dev_per_set)
    encoder = CachedEncoder()
    x = encoder.encode([ex.text for ex in fit_rows])
    weights = np.zeros((x.shape[1], len(KINDS)), dtype=np.float32)
    bias = np.zeros(len(KINDS), dtype=np.float32)
    for k, kind in enumerate(KINDS):
        rows = [i for i, ex in enumerate(fit_rows) if getattr(ex, kind) is not None]
        y = np.array([float(getattr(fit_rows[i], kind)) for i in rows])
        w, b = fit(x[rows], y, L2, set_weights([fit_rows[i] for i in rows]))
        weights[:, k], bias[k] = w, b
    best: list[tuple[float, float, float]] = [(-1.0, 1.0, 0.0), (-1.0, 1.0, 0.0)]
    for beta in BETAS:
        head = SemanticHead(
            weights, bias, np.full(2, beta, np.float32), np.zeros(2, np.float32), {}
        )
        extractor = Extractor(classifier=classifier, semantic=head, encoder=encoder)
        readings = list(extractor.read_many(ex.text for ex in dev_rows))
        for k, kind in enumerate(KINDS):
            rows = [i for i, ex in enumerate(dev_rows) if getattr(ex, kind) is not None]
            z = []
            for i in rows:
                r = readings[i]
                if r.skipped or not len(r.sentences):
                    z.append(-1e9)
                elif r.forced[:, k].any():
                    z.append(1e9)
                else:
                    alone = float(r.margins[:, k].max()) - extractor.sentence_margin
                    z.append(max(float(r.doc_margins[k]), alone))
            y = np.array([float(bool(getattr(dev_rows[i], kind))) for i in rows])
            groups = np.array([dev_rows[i].dataset for i in rows])
            t, f1 = best_threshold(np.array(z), y, groups)
            if log:
                print(f"{kind}: beta {beta} threshold {t} dev mean F1 {f1:.3f}", file=sys.stderr)
            if f1 > best[k][0]:
                best[k] = (f1, beta, t)
    meta: dict[str, object] = {
        "per_set": per_set,
        "fitted_on": len(fit_rows),
        "dev_rows": len(dev_rows),
        **{
            kind: {"dev_f1": round(best[k][0], 4), "beta": best[k][1]}
            for k, kind in enumerate(KINDS)
        },
    }
    return SemanticHead(
        weights,
        bias,
        np.array([best[0][1], best[1][1]], np.float32),
        np.array([best[0][2], best[1][2]], np.float32),
        meta,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=default_feedback_dir())
    parser.add_argument("--per-set", type=int, default=1000)
    parser.add_argument("--dev-per-set", type=int, default=300)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "data" / HEAD_FILE)
    parser.add_argument(
        "--search-classifier",
        type=Path,
        default=None,
        help="linear classifier trained --without-dev, for choosing beta and thresholds",
    )
    args = parser.parse_args(argv)
    head = train(args.data, args.per_set, args.dev_per_set, args.search_classifier)
    head.save(args.out)
    print(f"wrote {args.out}: {head.meta}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
