"""Baselines the NLP is measured against, on the same rows: TF-IDF + logistic regression, and a
keyword grep for persona linking. Plain scipy (no scikit-learn), trained on the tuning split.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Sequence

import numpy as np
from scipy import sparse

from listener.nlp.train_classifier import best_threshold, fit

_TOKEN = re.compile(r"[a-z0-9']+")


class Tfidf:
    """Word unigrams and bigrams, sublinear tf, idf from the training texts, L2-normalised."""

    def __init__(self, texts: Sequence[str], min_df: int = 2) -> None:
        df: Counter[str] = Counter()
        for text in texts:
            df.update(set(self._terms(text)))
        kept = sorted(t for t, n in df.items() if n >= min_df)
        self.index = {t: i for i, t in enumerate(kept)}
        n = len(texts)
        self.idf = np.array([math.log((1 + n) / (1 + df[t])) + 1 for t in kept])

    @staticmethod
    def _terms(text: str) -> list[str]:
        words = _TOKEN.findall(text.lower())
        return words + [f"{a} {b}" for a, b in itertools.pairwise(words)]

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        rows, cols, vals = [], [], []
        for r, text in enumerate(texts):
            counts = Counter(t for t in self._terms(text) if t in self.index)
            if not counts:
                continue
            items = [
                (self.index[t], (1 + math.log(c)) * self.idf[self.index[t]])
                for t, c in counts.items()
            ]
            norm = math.sqrt(sum(v * v for _, v in items))
            for c, v in items:
                rows.append(r)
                cols.append(c)
                vals.append(v / norm)
        return sparse.csr_matrix((vals, (rows, cols)), shape=(len(texts), len(self.index)))


class TfidfClassifier:
    """Fitted on ``train``; threshold chosen on ``dev`` (mean F1 over ``dev_groups``)."""

    def __init__(
        self,
        train: Sequence[str],
        y: np.ndarray,
        dev: Sequence[str],
        y_dev: np.ndarray,
        dev_groups: np.ndarray | None = None,
        l2: float = 1.0,
        weights: np.ndarray | None = None,
    ) -> None:
        self.vectorizer = Tfidf(list(train) + list(dev))
        x = self.vectorizer.transform(train)
        self.w, self.b = fit(x, y, l2, weights)
        z = self.vectorizer.transform(dev) @ self.w + self.b
        self.threshold, _ = best_threshold(z, y_dev, dev_groups)

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        return np.asarray(self.vectorizer.transform(texts) @ self.w + self.b > self.threshold)


def grep_pattern(wordings: Sequence[str]) -> re.Pattern[str]:
    """Any of an attribute's phrases or keywords, as written, on word boundaries."""
    alternatives = "|".join(re.escape(w.lower()) for w in sorted(wordings, key=len, reverse=True))
    return re.compile(rf"\b(?:{alternatives})\b")
