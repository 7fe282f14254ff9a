"""Quality on the held-out part of the shared labelled feedback (skipped where it is absent).

Guards, set a little below the figures in bench/README.md, so a change that makes extraction
worse fails here; the full report is `bench/eval_nlp.py`. (Issue 8 lowered them from 0.80: the
classifier trained on every register scores 0.790 / 0.796 on held-out app reviews, below the
issue's 0.82 target; see bench/README.md.)
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from listener.nlp import Extractor
from listener.nlp.datasets import load_examples

SHARED = Path(os.environ.get("LISTENER_SHARED_DATA", Path(__file__).parents[4] / "shared" / "data"))
FEEDBACK = SHARED / "feedback"

pytestmark = [
    pytest.mark.shared_data,
    pytest.mark.skipif(
        not (FEEDBACK / "urr_reviews_data.csv").exists(),
        reason=f"shared labelled data not found at {FEEDBACK} (set LISTENER_SHARED_DATA)",
    ),
]


def f1(pairs: list[tuple[bool, bool]]) -> float:
    tp = sum(g and p for g, p in pairs)
    fp = sum(p and not g for g, p in pairs)
    fn = sum(g and not p for g, p in pairs)
    return 2 * tp / (2 * tp + fp + fn)


@pytest.fixture(scope="module")
def heldout_reviews() -> list[tuple[object, set[str]]]:
    examples = [
        ex
        for ex in load_examples(FEEDBACK, split="heldout")
        if ex.dataset in {"urr", "google_play"}
    ]
    extractor = Extractor()
    found = [{s.kind for s in r} for r in extractor.extract_many(ex.text for ex in examples)]
    return list(zip(examples, found, strict=True))


def test_pain_f1_on_heldout_reviews(heldout_reviews: list[tuple[object, set[str]]]) -> None:
    pairs = [(bool(ex.pain), "pain" in f) for ex, f in heldout_reviews]  # type: ignore[attr-defined]
    assert f1(pairs) >= 0.78


def test_aspiration_f1_on_heldout_reviews(heldout_reviews: list[tuple[object, set[str]]]) -> None:
    pairs = [
        (bool(ex.aspiration), "aspiration" in f)  # type: ignore[attr-defined]
        for ex, f in heldout_reviews
        if ex.aspiration is not None  # type: ignore[attr-defined]
    ]
    assert f1(pairs) >= 0.78


def test_parallel_extraction_gives_the_same_result() -> None:
    texts = [ex.text for ex in load_examples(FEEDBACK, split="heldout")][:600]
    one = list(Extractor().extract_many(texts))
    two = list(Extractor().extract_many(texts, batch_size=100, n_process=2))
    assert one == two


@pytest.mark.slow
@pytest.mark.timeout(1500)  # about 200 s alone on the 2-core machine, more beside other work
def test_training_reproduces_the_shipped_classifier(tmp_path: Path) -> None:
    """The script in the package rebuilds the shipped weights bit for bit (a few minutes).

    Run as the documented command, in a fresh interpreter: the test session's shared spaCy
    pipeline has read other tests' texts by then."""
    import subprocess
    import sys

    from listener.nlp.model import load_model

    out = tmp_path / "c.npz"
    command = [sys.executable, "-m", "listener.nlp.train_classifier", "--data", str(FEEDBACK)]
    subprocess.run([*command, "--out", str(out)], check=True, capture_output=True)
    assert load_model(out).digest == load_model().digest


@pytest.mark.parametrize(("dataset", "floor"), [("airline", 0.91), ("pros_cons", 0.89)])
def test_pain_f1_on_heldout_sets_of_other_registers(dataset: str, floor: float) -> None:
    """Support tweets and pros/cons lines: 0.933 and 0.909 in bench/README.md."""
    examples = [
        ex
        for ex in load_examples(FEEDBACK, split="heldout")
        if ex.dataset == dataset and ex.pain is not None
    ]
    found = Extractor().extract_many(ex.text for ex in examples)
    pairs = [
        (bool(ex.pain), any(s.kind == "pain" for s in f))
        for ex, f in zip(examples, found, strict=True)
    ]
    assert len(pairs) > 1000 and f1(pairs) >= floor
