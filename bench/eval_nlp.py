"""Evaluate detection and persona linking on the held-out split, per data set and per path.

    .venv/bin/python bench/eval_nlp.py [--data PATH] [--split heldout|dev]
        [--paths default,semantic] [--misses N] [--classifier C.npz]

Runs the real path (``listener.analysis.Analyser``, as the daemon and ``listener extract``) and
scores at the level the labels have: a row counts as pain when at least one pain statement is
found in it, likewise aspiration. Prints, per data set and path: P/R/F1 for pain and aspiration
next to a TF-IDF + logistic-regression baseline trained on the same tuning rows; the linking table
(URR topics: a complaint with topic X should yield pain evidence for the attribute mapped to X,
``bench/linking/``) next to a keyword grep and a TF-IDF classifier per topic; and each path's
speed. The held-out split is fixed by hash (listener/nlp/datasets) and never used for tuning.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from baselines import TfidfClassifier, grep_pattern

from listener.analysis import Analyser
from listener.analysis.analyser import SEMANTIC_FLOOR
from listener.matching import PersonaMatcher
from listener.nlp import Extractor
from listener.nlp.datasets import (
    Example,
    default_feedback_dir,
    handwritten_dir,
    load_examples,
)
from listener.nlp.train_classifier import is_dev, set_weights
from listener.nlp.train_semantic import sample as sample_by_hash
from listener.nlp.types import KINDS
from listener.personas import PersonaSet, load_personas

LINKING = Path(__file__).resolve().parent / "linking"
APP_REVIEWS = {"urr", "google_play"}
Found = list[dict[str, set[str]]]
"""Per example: kind → attributes with evidence (the empty string: a statement of the kind)."""


def sample(examples: list[Example], per_set: int) -> list[Example]:
    urr = [ex for ex in examples if ex.dataset == "urr"]
    rest = sample_by_hash([ex for ex in examples if ex.dataset != "urr"], per_set)
    return urr + rest


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def run_path(analyser: Analyser, texts: list[str]) -> tuple[Found, float]:
    start = time.perf_counter()
    found: Found = []
    for analysis in analyser.analyse_many(texts):
        kinds: dict[str, set[str]] = {k: set() for k in KINDS}
        for statement, matches in analysis.statements:
            kinds[statement.kind].add("")
            for m in matches:
                kinds[m.kind].add(m.attribute)
        found.append(kinds)
    return found, len(texts) / (time.perf_counter() - start)


PERSONAS_OF = {
    "urr": LINKING / "personas.mobile-app.yaml",
    "google_play": LINKING / "personas.mobile-app.yaml",
    "b2b_survey": Path(__file__).resolve().parent / "data" / "personas.pm-saas.yaml",
}
"""Each set is read with the personas of its domain where the project has some (persona wording
is evidence, so they change what is found); the other sets with none."""


def build(
    path: str, personas: PersonaSet | None, classifier: Path | None, floor: float | None = None
) -> Analyser:
    semantic = path.startswith("semantic")
    # "semantic": the quality path; "semantic-detect": its sentence head without
    # embedding-based persona matching (to see what each half earns)
    extractor = Extractor(classifier=classifier, semantic=semantic)
    matcher = None
    if personas is not None:
        matcher = PersonaMatcher(personas, extractor.nlp, semantic=path == "semantic")
    return Analyser(extractor, matcher, semantic_floor=floor or SEMANTIC_FLOOR)


def run_all(
    path: str, examples: list[Example], classifier: Path | None, floor: float | None
) -> tuple[Found, float, str]:
    """Every example through the analyser with its set's personas, in the examples' order."""
    found: Found = [{} for _ in examples]
    docs, seconds, version = 0, 0.0, ""
    for personas_path in [None, *sorted(set(PERSONAS_OF.values()))]:
        rows = [n for n, ex in enumerate(examples) if PERSONAS_OF.get(ex.dataset) == personas_path]
        if not rows:
            continue
        personas = load_personas(personas_path) if personas_path else None
        analyser = build(path, personas, classifier, floor)
        version = version or analyser.version.split(".e-")[0]
        part, speed = run_path(analyser, [examples[n].text for n in rows])
        for n, f in zip(rows, part, strict=True):
            found[n] = f
        docs += len(rows)
        seconds += len(rows) / speed
    return found, docs / seconds, version


def groups_of(ex: Example, kind: str) -> list[str]:
    names = [ex.dataset]
    if ex.dataset in APP_REVIEWS and kind == "pain":
        names.append("app reviews")
    return names


def detection_table(
    examples: list[Example], found: dict[str, Found], baseline: dict[str, np.ndarray]
) -> list[dict[str, object]]:
    rows = []
    for kind in KINDS:
        counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
        for n, ex in enumerate(examples):
            gold = getattr(ex, kind)
            if gold is None:
                continue
            for name in groups_of(ex, kind):
                for path, per in [*found.items(), ("tf-idf", None)]:
                    pred = bool(baseline[kind][n]) if per is None else "" in per[n][kind]
                    c = counts[(name, path)]
                    c[0] += pred and gold
                    c[1] += pred and not gold
                    c[2] += gold and not pred
                    c[3] += 1
        for name in sorted({name for name, _ in counts}, key=lambda s: (s == "app reviews", s)):
            row: dict[str, object] = {"class": kind, "set": name}
            for path in [*found, "tf-idf"]:
                tp, fp, fn, total = counts[(name, path)]
                row["n"], row["pos"] = total, tp + fn
                row[path] = prf(tp, fp, fn)
            rows.append(row)
    return rows


def tfidf_baseline(tune: list[Example], examples: list[Example]) -> dict[str, np.ndarray]:
    out = {}
    for kind in KINDS:
        rows = [ex for ex in tune if getattr(ex, kind) is not None]
        train = [ex for ex in rows if not is_dev(ex)]
        dev = [ex for ex in rows if is_dev(ex)]
        model = TfidfClassifier(
            [ex.text for ex in train],
            np.array([float(getattr(ex, kind)) for ex in train]),
            [ex.text for ex in dev],
            np.array([float(getattr(ex, kind)) for ex in dev]),
            np.array([ex.dataset for ex in dev]),
            weights=set_weights(train),
        )
        out[kind] = model.predict([ex.text for ex in examples])
    return out


def linking_table(
    tune: list[Example],
    held: list[Example],
    found: dict[str, Found],
    personas: PersonaSet,
    tfidf: bool = True,
) -> list[dict[str, object]]:
    """Per attribute: evidence found vs. a complaint review carrying the attribute's topic;
    beside a keyword grep and (``tfidf``) a TF-IDF classifier trained per topic."""
    topics: dict[str, str] = json.loads((LINKING / "topics.json").read_text())
    attributes = {
        a.id: a for p in personas.personas for kind, a in p.attributes() if kind == "pain"
    }
    urr_tune = [ex for ex in tune if ex.dataset == "urr"]
    rows = []
    for attribute_id, topic in topics.items():
        gold = [bool(ex.pain and topic in ex.topics) for ex in held]
        attribute = attributes[attribute_id]
        grep = grep_pattern([*attribute.phrases, *attribute.keywords])
        preds: dict[str, list[bool]] = {
            path: [attribute_id in f[n]["pain"] for n in range(len(held))]
            for path, f in found.items()
        }
        preds["grep"] = [bool(grep.search(ex.text.lower())) for ex in held]
        if tfidf:
            train = [ex for ex in urr_tune if not is_dev(ex)]
            dev = [ex for ex in urr_tune if is_dev(ex)]
            model = TfidfClassifier(
                [ex.text for ex in train],
                np.array([float(bool(ex.pain and topic in ex.topics)) for ex in train]),
                [ex.text for ex in dev],
                np.array([float(bool(ex.pain and topic in ex.topics)) for ex in dev]),
            )
            preds["tf-idf"] = model.predict([ex.text for ex in held]).tolist()
        row: dict[str, object] = {"attribute": attribute_id, "topic": topic, "pos": sum(gold)}
        for path, pred in preds.items():
            tp = sum(p and g for p, g in zip(pred, gold, strict=True))
            fp = sum(p and not g for p, g in zip(pred, gold, strict=True))
            fn = sum(g and not p for p, g in zip(pred, gold, strict=True))
            row[path] = prf(tp, fp, fn)
        rows.append(row)
    macro: dict[str, object] = {
        "attribute": "macro",
        "topic": "",
        "pos": sum(r["pos"] for r in rows),
    }  # type: ignore[misc]
    for path in [*found, "grep", *(["tf-idf"] if tfidf else [])]:
        macro[path] = tuple(float(np.mean([r[path][i] for r in rows])) for i in range(3))  # type: ignore[index]
    rows.append(macro)
    return rows


def fmt(triple: object) -> str:
    p, r, f = triple  # type: ignore[misc]
    return f"{p:6.3f}{r:6.3f}{f:7.3f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=default_feedback_dir())
    parser.add_argument("--split", choices=["heldout", "dev"], default="heldout")
    parser.add_argument("--paths", default="default", help="comma-separated: default,semantic")
    parser.add_argument("--classifier", type=Path, default=None)
    parser.add_argument("--semantic-floor", type=float, default=None, help="for dev experiments")
    parser.add_argument("--misses", type=int, default=0, help="misses to print per class and set")
    parser.add_argument("--json", type=Path, default=None, help="also write the tables here")
    parser.add_argument(
        "--sample",
        type=int,
        default=0,
        help="at most N rows per data set (by hash; URR keeps all for linking): the semantic "
        "path embeds every sentence, about 100 a second on one core",
    )
    args = parser.parse_args(argv)

    everything = load_examples(args.data, handwritten=handwritten_dir())
    tune = [ex for ex in everything if ex.split == "tune"]
    if args.split == "dev":
        examples = [ex for ex in tune if is_dev(ex)]
        tune = [ex for ex in tune if not is_dev(ex)]
    else:
        examples = [ex for ex in everything if ex.split == "heldout"]
    if args.sample:
        examples = sample(examples, args.sample)
    personas = load_personas(PERSONAS_OF["urr"])
    paths = [p for p in args.paths.split(",") if p]
    found: dict[str, Found] = {}
    speed: dict[str, float] = {}
    for path in paths:
        found[path], speed[path], version = run_all(
            path, examples, args.classifier, args.semantic_floor
        )
        print(f"path {path}: {version}", flush=True)
    baseline = tfidf_baseline(tune, examples)
    detection = detection_table(examples, found, baseline)

    what = f", at most {args.sample} per set" if args.sample else ""
    print(f"\ndetection on the {args.split} split ({len(examples)} rows{what}); P R F1 per path")
    head = "".join(f"{p:>19}" for p in [*paths, "tf-idf"])
    print(f"{'class':<11}{'data set':<18}{'n':>6}{'pos':>6}{head}")
    for row in detection:
        cells = "".join(f"{fmt(row[p]):>19}" for p in [*paths, "tf-idf"])
        print(f"{row['class']:<11}{row['set']:<18}{row['n']:>6}{row['pos']:>6}{cells}")

    held_urr = [ex for ex in examples if ex.dataset == "urr"]
    index = [n for n, ex in enumerate(examples) if ex.dataset == "urr"]
    urr_found = {p: [f[n] for n in index] for p, f in found.items()}
    linking = linking_table(tune, held_urr, urr_found, personas)
    print(f"\nlinking on URR {args.split} ({len(held_urr)} reviews): pain evidence per attribute")
    head = "".join(f"{p:>19}" for p in [*paths, "grep", "tf-idf"])
    print(f"{'attribute':<22}{'topic':<20}{'pos':>5}{head}")
    for row in linking:
        cells = "".join(f"{fmt(row[p]):>19}" for p in [*paths, "grep", "tf-idf"])
        print(f"{row['attribute']:<22}{row['topic']:<20}{row['pos']:>5}{cells}")

    print("\nspeed (documents/s over these rows, one process, persona matching included):")
    for path, value in speed.items():
        print(f"  {path:<10}{value:>10,.0f}")
    if args.misses:
        _misses(examples, found[paths[0]], args.misses)
    if args.json:
        args.json.write_text(
            json.dumps({"detection": detection, "linking": linking, "speed": speed}, indent=1)
        )
    return 0


def _misses(examples: list[Example], found: Found, n: int) -> None:
    for kind in KINDS:
        for wanted, title in ((True, "missed"), (False, "false alarm")):
            by_set: dict[str, list[str]] = defaultdict(list)
            for ex, f in zip(examples, found, strict=True):
                if getattr(ex, kind) is wanted and ("" in f[kind]) is not wanted:
                    by_set[ex.dataset].append(" ".join(ex.text.split())[:150])
            for name, texts in sorted(by_set.items()):
                print(f"\n{kind} {title} in {name} ({len(texts)}):")
                for text in texts[:n]:
                    print(f"  {text}")


if __name__ == "__main__":
    raise SystemExit(main())
