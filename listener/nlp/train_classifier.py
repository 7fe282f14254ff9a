"""Train the shipped classifier reproducibly from the tuning split of the shared labelled data.

    python -m listener.nlp.train_classifier [--data PATH] [--out listener/nlp/data/classifier.npz]

Deterministic: a fixed hash split, a dev part of the tuning split (again by hash) to choose the
L2 strength and decision thresholds, then a final fit on the whole tuning split with L-BFGS
(scipy, already a dependency). The held-out split is never read here.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

import numpy as np
from scipy import optimize, sparse

from listener.nlp.datasets import Example, default_feedback_dir, load_examples
from listener.nlp.extractor import MAX_CHARS, MAX_SENTENCES
from listener.nlp.features import FEATURE_VERSION, N_BUCKETS, doc_vector_indices
from listener.nlp.model import DEFAULT_MODEL, LinearModel
from listener.nlp.pipeline import build_nlp
from listener.nlp.types import KINDS

L2_GRID = (0.3, 1.0, 3.0, 10.0)
DEV_PERCENT = 20


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


def fit(x: sparse.csr_matrix, y: np.ndarray, l2: float) -> tuple[np.ndarray, float]:
    """L2-regularised logistic regression; returns (weights, bias)."""
    n_features = x.shape[1]

    def loss(params: np.ndarray) -> tuple[float, np.ndarray]:
        w, b = params[:-1], params[-1]
        z = x @ w + b
        with np.errstate(over="ignore"):  # exp(-z) → inf for very negative z: p → 0, as it should
            p = 1.0 / (1.0 + np.exp(-z))
        value = float(np.sum(np.logaddexp(0.0, z) - y * z) + 0.5 * l2 * w @ w)
        err = p - y
        grad = np.empty_like(params)
        grad[:-1] = x.T @ err + l2 * w
        grad[-1] = err.sum()
        return value, grad

    start = np.zeros(n_features + 1)
    result = optimize.minimize(loss, start, jac=True, method="L-BFGS-B", options={"maxiter": 500})
    return result.x[:-1], float(result.x[-1])


def best_threshold(z: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    best = (0.0, -1.0)
    for t in np.arange(-2.0, 2.01, 0.1):
        pred = z > t
        tp = float(np.sum(pred & (y == 1)))
        f1 = 2 * tp / max(1.0, float(pred.sum() + y.sum()))
        if f1 > best[1]:
            best = (float(round(t, 2)), f1)
    return best


def is_dev(ex: Example, salt: str = "dev") -> bool:
    """The dev part of the tuning split: used to choose settings, never to fit the final model."""
    digest = hashlib.sha256(f"{salt}:{ex.dataset}:{ex.id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % 100 < DEV_PERCENT


def train(folder: Path, log: bool = True, without_dev: bool = False) -> LinearModel:
    examples = load_examples(folder, split="tune")
    if without_dev:  # for development: a model that has not seen the dev part, to evaluate on it
        examples = [ex for ex in examples if not is_dev(ex)]
    salt = "dev2" if without_dev else "dev"
    x_all = featurize(examples)
    weights = np.zeros((N_BUCKETS, len(KINDS)))
    bias = np.zeros(len(KINDS))
    threshold = np.zeros(len(KINDS))
    meta: dict[str, object] = {"features": FEATURE_VERSION, "examples": len(examples)}
    for k, kind in enumerate(KINDS):
        labelled = [i for i, ex in enumerate(examples) if getattr(ex, kind) is not None]
        y_all = np.array([float(getattr(examples[i], kind)) for i in labelled])
        dev = np.array([is_dev(examples[i], salt) for i in labelled])
        x = x_all[labelled]
        scores = []
        for l2 in L2_GRID:
            w, b = fit(x[~dev], y_all[~dev], l2)
            t, f1 = best_threshold(x[dev] @ w + b, y_all[dev])
            scores.append((f1, l2, t))
            if log:
                print(f"{kind}: l2={l2} dev F1={f1:.3f} at threshold {t}", file=sys.stderr)
        f1, l2, t = max(scores)
        w, b = fit(x, y_all, l2)
        weights[:, k], bias[k], threshold[k] = w, b, t
        meta[kind] = {"l2": l2, "dev_f1": round(f1, 4), "n": len(labelled)}
    return LinearModel(weights.astype(np.float32), bias, threshold, meta, digest="")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=default_feedback_dir())
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "data" / DEFAULT_MODEL)
    parser.add_argument(
        "--without-dev", action="store_true", help="leave the dev part out (to evaluate on it)"
    )
    args = parser.parse_args(argv)
    model = train(args.data, without_dev=args.without_dev)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    model.save(args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size // 1024} KiB): {model.meta}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
