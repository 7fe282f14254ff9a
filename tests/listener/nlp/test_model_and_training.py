"""The shipped classifier loads and fits the features; the trainer learns; the split is fixed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import sparse

from listener.errors import ListenerError
from listener.nlp import Extractor
from listener.nlp.datasets import HELDOUT_PERCENT, split_of
from listener.nlp.features import FEATURE_VERSION, N_BUCKETS
from listener.nlp.model import LinearModel, load_model
from listener.nlp.train_classifier import best_threshold, fit


def test_packaged_model_matches_the_features() -> None:
    model = load_model()
    assert model.weights.shape == (N_BUCKETS, 2)
    assert model.meta["features"] == FEATURE_VERSION
    assert len(model.digest) == 12


def test_missing_model_says_how_to_fix(tmp_path: Path) -> None:
    with pytest.raises(ListenerError) as info:
        load_model(tmp_path / "absent.npz")
    assert info.value.hint and "train_classifier" in info.value.hint


def test_a_changed_classifier_changes_the_version(tmp_path: Path) -> None:
    model = load_model()
    changed = LinearModel(model.weights, model.bias + 1.0, model.threshold, model.meta, "")
    changed.save(tmp_path / "changed.npz")
    assert Extractor(classifier=tmp_path / "changed.npz").version != Extractor().version


def test_sentence_scores_add_up_to_the_document_score() -> None:
    model = load_model()
    indices = np.array([1, 2, 3, 10, 11], dtype=np.int64)
    per_sentence = model.sentence_scores(indices, np.array([0, 3]))
    assert per_sentence.shape == (2, 2)
    np.testing.assert_allclose(
        per_sentence.sum(axis=0), model.weights[indices].sum(axis=0), rtol=1e-5
    )


def test_fit_learns_a_separable_problem() -> None:
    rows = [[0, 1], [0, 2], [0, 3], [5, 1], [5, 2], [5, 3]]
    y = np.array([1.0, 1.0, 1.0, 0.0, 0.0, 0.0])
    x = sparse.csr_matrix((np.ones(12), np.array(rows).ravel(), np.arange(0, 13, 2)), shape=(6, 8))
    w, b = fit(x, y, l2=0.1)
    assert w[0] > 0 > w[5]
    threshold, f1 = best_threshold(x @ w + b, y)
    assert f1 == 1.0 and -2.0 <= threshold <= 2.0


def test_split_is_fixed_and_about_the_configured_share() -> None:
    assert split_of("urr", "abc") == split_of("urr", "abc")
    held = sum(split_of("x", str(i)) == "heldout" for i in range(4000)) / 4000
    assert abs(held - HELDOUT_PERCENT / 100) < 0.03


def test_digest_covers_contents_not_the_file(tmp_path: Path) -> None:
    model = load_model()
    model.save(tmp_path / "copy.npz")
    assert load_model(tmp_path / "copy.npz").digest == model.digest
