"""Train the shipped classifier reproducibly from the tuning split of the shared labelled data.

    python -m listener.nlp.train_classifier [--data PATH] [--out listener/nlp/data/classifier.npz]

Deterministic: a fixed hash split, a dev part of the tuning split (again by hash) to choose the
L2 strength and decision thresholds, then a final fit on the whole tuning split with L-BFGS
(scipy, already a dependency). The held-out split is never read here. Every shared set and the
hand-written dev sets (``bench/data``) are used; each set weighs at most as much as
``SET_WEIGHT_CAP`` examples, so the 30,000 pros/cons fragments do not drown the reviews, and
the thresholds maximise the mean F1 over the sets, not the pooled F1.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

import numpy as np
from scipy import optimize, sparse

from listener.nlp.datasets import Example, default_feedback_dir, handwritten_dir, load_examples
from listener.nlp.extractor import MAX_CHARS, MAX_SENTENCES
from listener.nlp.features import FEATURE_VERSION, N_BUCKETS, doc_vector_indices
from listener.nlp.model import LinearModel
from listener.nlp.model_file import DEFAULT_MODEL
from listener.nlp.pipeline import build_nlp
from listener.nlp.types import KINDS

L2_GRID = (1.0, 3.0, 10.0)
DEV_PERCENT = 20
SET_WEIGHT_CAP = 5000
MIN_DEV_POSITIVES = 15
"""Sets with fewer positives in the dev part are too noisy to steer the threshold."""


def featurize(examples: list[Example]) -> sparse.csr_matrix:
    nlp = build_nlp(None)
    rows: list[np.ndarray] = []
    texts = (ex.text[:MAX_CHARS] for ex in examples)
    for doc in nlp.pipe(texts, batch_size=256, disable=["lemmatizer"]):
        rows.append(doc_vector_indices(doc, MAX_SENTENCES))
    indptr = np.cumsum([0, *(len(r) for r in rows)])
    indices = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    data = np.ones(len(indices), dtype=np.float64)
    matrix = sparse.csr_matrix((data, indices, indptr), shape=(len(rows), N_BUCKETS))
    matrix.sum_duplicates()
    return matrix


def fit(
    x: sparse.csr_matrix, y: np.ndarray, l2: float, weights: np.ndarray | None = None
) -> tuple[np.ndarray, float]:
    """L2-regularised logistic regression, optionally weighted per row; (weights, bias)."""
    n_features = x.shape[1]
    sw = np.ones(len(y)) if weights is None else weights

    def loss(params: np.ndarray) -> tuple[float, np.ndarray]:
        w, b = params[:-1], params[-1]
        z = x @ w + b
        with np.errstate(over="ignore"):  # exp(-z) → inf for very negative z: p → 0, as it should
            p = 1.0 / (1.0 + np.exp(-z))
        value = float(np.sum(sw * (np.logaddexp(0.0, z) - y * z)) + 0.5 * l2 * w @ w)
        err = sw * (p - y)
        grad = np.empty_like(params)
        grad[:-1] = x.T @ err + l2 * w
        grad[-1] = err.sum()
        return value, grad

    start = np.zeros(n_features + 1)
    result = optimize.minimize(loss, start, jac=True, method="L-BFGS-B", options={"maxiter": 500})
    return result.x[:-1], float(result.x[-1])


def best_threshold(
    z: np.ndarray, y: np.ndarray, groups: np.ndarray | None = None
) -> tuple[float, float]:
    """The threshold with the best F1 (the mean F1 over ``groups`` when given)."""
    names = [None] if groups is None else sorted(set(groups.tolist()))
    best = (0.0, -1.0)
    for t in np.arange(-2.0, 2.01, 0.1):
        pred = z > t
        f1s = []
        for name in names:
            mask = np.ones(len(y), bool) if name is None else groups == name
            tp = float(np.sum(pred[mask] & (y[mask] == 1)))
            f1s.append(2 * tp / max(1.0, float(pred[mask].sum() + y[mask].sum())))
        f1 = float(np.mean(f1s))
        if f1 > best[1]:
            best = (float(round(t, 2)), f1)
    return best


def set_weights(examples: list[Example]) -> np.ndarray:
    counts: dict[str, int] = {}
    for ex in examples:
        counts[ex.dataset] = counts.get(ex.dataset, 0) + 1
    return np.array([min(1.0, SET_WEIGHT_CAP / counts[ex.dataset]) for ex in examples])


def is_dev(ex: Example, salt: str = "dev") -> bool:
    """The dev part of the tuning split: used to choose settings, never to fit the final model."""
    digest = hashlib.sha256(f"{salt}:{ex.dataset}:{ex.id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % 100 < DEV_PERCENT


FOLDS = 2


def fold_of(ex: Example) -> int:
    """Half of the tuning split, by hash: the evidence model's training reads each example's
    margins from the classifier trained without its half (``--without-fold``)."""
    digest = hashlib.sha256(f"fold:{ex.dataset}:{ex.id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % FOLDS


def train(
    folder: Path, log: bool = True, without_dev: bool = False, without_fold: int | None = None
) -> LinearModel:
    examples = load_examples(folder, split="tune", handwritten=handwritten_dir())
    if without_dev:  # for development: a model that has not seen the dev part, to evaluate on it
        examples = [ex for ex in examples if not is_dev(ex)]
    if without_fold is not None:
        examples = [ex for ex in examples if fold_of(ex) != without_fold]
    salt = "dev2" if without_dev else "dev"
    x_all = featurize(examples)
    weights = np.zeros((N_BUCKETS, len(KINDS)))
    bias = np.zeros(len(KINDS))
    threshold = np.zeros(len(KINDS))
    meta: dict[str, object] = {"features": FEATURE_VERSION, "examples": len(examples)}
    final: dict[str, tuple[float, list[Example], sparse.csr_matrix, np.ndarray, np.ndarray]] = {}
    for k, kind in enumerate(KINDS):
        labelled = [i for i, ex in enumerate(examples) if getattr(ex, kind) is not None]
        chosen = [examples[i] for i in labelled]
        y_all = np.array([float(getattr(ex, kind)) for ex in chosen])
        dev = np.array([is_dev(ex, salt) for ex in chosen])
        groups = np.array([ex.dataset for ex in chosen])
        steer = dev & np.isin(groups, _steering_sets(groups[dev], y_all[dev]))
        sw = set_weights(chosen)
        x = x_all[labelled]
        scores = []
        for l2 in L2_GRID:
            w, b = fit(x[~dev], y_all[~dev], l2, sw[~dev])
            t, f1 = best_threshold(x[steer] @ w + b, y_all[steer], groups[steer])
            scores.append((f1, l2, t))
            if log:
                print(f"{kind}: l2={l2} dev mean F1={f1:.3f} at threshold {t}", file=sys.stderr)
        f1, l2, t = max(scores)
        w, b = fit(x[~dev], y_all[~dev], l2, sw[~dev])
        weights[:, k], bias[k] = w, b
        final[kind] = (l2, [chosen[i] for i in np.flatnonzero(steer)], x, y_all, sw)
        meta[kind] = {"l2": l2, "doc_logit_dev_f1": round(f1, 4), "n": len(labelled)}
    # Thresholds for the extractor's real decision (document score, one strong sentence, rule
    # assertions), chosen on the dev part with the weights fitted without it.
    trial = LinearModel(weights.astype(np.float32), bias, threshold, meta, digest="")
    for k, kind in enumerate(KINDS):
        l2, dev_examples, x, y_all, sw = final[kind]
        t, f1 = decision_threshold(trial, dev_examples, k)
        if log:
            print(f"{kind}: extractor threshold {t}, dev mean F1 {f1:.3f}", file=sys.stderr)
        w, b = fit(x, y_all, l2, sw)
        weights[:, k], bias[k], threshold[k] = w, b, t
        meta[kind]["dev_f1"] = round(f1, 4)  # type: ignore[index]
    return LinearModel(weights.astype(np.float32), bias, threshold, meta, digest="")


def decision_threshold(model: LinearModel, examples: list[Example], k: int) -> tuple[float, float]:
    """The threshold on kind ``k`` that gives the extractor the best mean F1 over the sets."""
    from listener.nlp.extractor import Extractor

    zero = LinearModel(model.weights, model.bias, np.zeros(len(KINDS)), model.meta, digest="")
    extractor = Extractor(classifier=zero)
    totals, alone, forced = [], [], []
    for reading in extractor.read_many(ex.text for ex in examples):
        if reading.skipped or not len(reading.sentences):
            totals.append(-1e9)
            alone.append(-1e9)
            forced.append(False)
            continue
        totals.append(float(reading.doc_margins[k]))
        alone.append(float(reading.margins[:, k].max()) - extractor.sentence_margin)
        forced.append(bool(reading.forced[:, k].any()))
    z = np.maximum(np.array(totals), np.array(alone))
    z[np.array(forced)] = 1e9
    y = np.array([float(bool(ex.pain if k == 0 else ex.aspiration)) for ex in examples])
    return best_threshold(z, y, np.array([ex.dataset for ex in examples]))


def _steering_sets(groups: np.ndarray, y: np.ndarray) -> list[str]:
    names = sorted(set(groups.tolist()))
    return [n for n in names if float(y[groups == n].sum()) >= MIN_DEV_POSITIVES]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=default_feedback_dir())
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "data" / DEFAULT_MODEL)
    parser.add_argument(
        "--without-dev", action="store_true", help="leave the dev part out (to evaluate on it)"
    )
    parser.add_argument(
        "--without-fold", type=int, default=None, help="leave half the tuning split out (0 or 1)"
    )
    args = parser.parse_args(argv)
    model = train(args.data, without_dev=args.without_dev, without_fold=args.without_fold)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    model.save(args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size // 1024} KiB): {model.meta}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
