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
    """The script in the package rebuilds the shipped classifier (a few minutes).

    Bit for bit only on the CPU it was trained on: numpy picks its exp/log kernels and OpenBLAS
    its dot kernel for the CPU at run time (AVX2, AVX-512), so the last bits of the loss, and
    after 500 L-BFGS steps some weights' last float16 bit, differ between machines (measured:
    relative difference 2.0e-4 between an AMD EPYC with AVX-512 and the training machine).
    The same settings must be chosen and every weight must agree to about a float16 step.
    Run as the documented command, in a fresh interpreter: the test session's shared spaCy
    pipeline has read other tests' texts by then."""
    import subprocess
    import sys

    import numpy as np

    from listener.nlp.model import load_model

    out = tmp_path / "c.npz"
    command = [sys.executable, "-m", "listener.nlp.train_classifier", "--data", str(FEEDBACK)]
    subprocess.run([*command, "--out", str(out)], check=True, capture_output=True)
    rebuilt, shipped = load_model(out), load_model()
    assert rebuilt.meta["examples"] == shipped.meta["examples"]
    for kind in ("pain", "aspiration"):
        ours, theirs = rebuilt.meta[kind], shipped.meta[kind]
        assert isinstance(ours, dict) and isinstance(theirs, dict)
        assert (ours["l2"], ours["n"]) == (theirs["l2"], theirs["n"])
        assert abs(ours["dev_f1"] - theirs["dev_f1"]) <= 0.001
    assert np.array_equal(rebuilt.threshold, shipped.threshold)
    assert np.allclose(rebuilt.bias, shipped.bias, atol=1e-3)
    # measured: largest difference 0.00098 (one float16 step at 1.0); 84 of 524,288 over 0.0003
    assert np.allclose(rebuilt.weights, shipped.weights, rtol=2e-3, atol=1e-3)
    relative = np.linalg.norm(rebuilt.weights - shipped.weights) / np.linalg.norm(shipped.weights)
    assert relative <= 1e-3, relative


@pytest.mark.slow
@pytest.mark.timeout(1500)  # two half-split classifiers side by side, then the evidence model
def test_the_documented_recipe_rebuilds_the_shipped_evidence_model(tmp_path: Path) -> None:
    """bench/README's recipe: two classifiers that each leave half the tuning split out give
    out-of-fold margins, and the evidence model trained on them is the shipped one (same hits,
    same threshold; weights to the last digits the classifiers' CPU kernels may move)."""
    import subprocess
    import sys

    import numpy as np

    from listener.analysis.model import load_evidence_model

    train = [sys.executable, "-m", "listener.nlp.train_classifier", "--data", str(FEEDBACK)]
    folds = [tmp_path / f"fold{f}.npz" for f in (0, 1)]
    runs = [
        subprocess.Popen(
            [*train, "--without-fold", str(f), "--out", str(path)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for f, path in enumerate(folds)
    ]
    for run in runs:
        _, err = run.communicate()
        assert run.returncode == 0, err.decode()[-2000:]
    out = tmp_path / "evidence.json"
    subprocess.run(
        [sys.executable, "-m", "listener.analysis.train", "--data", str(FEEDBACK),
         "--fold-classifiers", *map(str, folds), "--out", str(out)],
        check=True, capture_output=True,
    )  # fmt: skip
    rebuilt, shipped = load_evidence_model(out), load_evidence_model()
    assert rebuilt.meta["pairs"] == shipped.meta["pairs"]
    assert rebuilt.meta["positive"] == shipped.meta["positive"]
    assert rebuilt.threshold == shipped.threshold
    assert np.allclose(rebuilt.weights, shipped.weights, atol=1e-3)
    assert abs(rebuilt.bias - shipped.bias) <= 1e-3


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
