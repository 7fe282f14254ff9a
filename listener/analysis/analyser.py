"""Text → statements and persona evidence: the one path the daemon and ``listener extract`` share.

The extractor reads each document (sentences, classifier margins, rule verdicts); while the
document is in memory, every kept sentence is matched against the personas' wording, and each
hit that no veto removes is scored by the evidence model. A hit that counts makes its sentence a
statement of the attribute's kind even when the classifier alone would not have (the persona's
own words are evidence), and the classifier's statements without any hit stay statements
(they feed "new themes", unless their sentence is evidence under its other kind).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace

import numpy as np
from spacy.tokens import Doc

from listener.analysis.model import EvidenceModel, load_evidence_model
from listener.analysis.signals import signals, vetoed
from listener.analysis.version import version_of
from listener.matching import Hit, Match, PersonaMatcher
from listener.nlp import Extractor, Statement
from listener.nlp.features import CONDITIONS, NEGATORS, DocArrays
from listener.nlp.reading import Reading, SkipReason
from listener.nlp.types import KINDS

SEMANTIC_FLOOR = 0.65
"""On the semantic path, the cosine similarity from which a sentence is a candidate for an
attribute even without its words (the evidence model still decides). Chosen on the URR dev
part: at 0.45 and 0.55 the extra candidates cost more precision than they gave recall (macro
linking F1 0.319 and 0.378 against 0.379 without them); at 0.65, 0.384."""


@dataclass(frozen=True, slots=True)
class Analysis:
    """One document's result: statements with their matches, or why it was skipped."""

    statements: list[tuple[Statement, list[Match]]]
    skipped: SkipReason | None = None


class Analyser:
    def __init__(
        self,
        extractor: Extractor,
        matcher: PersonaMatcher | None,
        evidence: EvidenceModel | None = None,
        semantic_floor: float = SEMANTIC_FLOOR,
    ) -> None:
        self.extractor = extractor
        self.semantic_floor = semantic_floor
        self.matcher = matcher
        self.evidence = evidence or load_evidence_model()
        self.version = analysis_version(extractor.version, self.evidence, matcher)
        self._references: tuple[np.ndarray, np.ndarray] | None = None
        if matcher is not None and matcher.semantic is not None:
            self._references = matcher.semantic.references(matcher.targets)

    def analyse(self, text: str, prompt: str | None = None) -> Analysis:
        return next(self.analyse_many([text], [prompt]))

    def analyse_many(
        self,
        texts: Iterable[str],
        prompts: Iterable[str | None] | None = None,
        batch_size: int = 256,
        n_process: int = 1,
    ) -> Iterator[Analysis]:
        """One :class:`Analysis` per text, in order; streams. ``n_process > 1`` forks workers
        (:mod:`listener.analysis.parallel`): worth it for backlogs of thousands of items."""
        if n_process > 1:
            from listener.analysis.parallel import analyse_parallel

            yield from analyse_parallel(self, texts, prompts, n_process, batch_size)
            return
        annotate = self._annotate if self.matcher is not None else None
        readings = self.extractor.read_many(texts, batch_size, prompts, annotate=annotate)
        for reading in readings:
            yield self._finish(reading)

    def _annotate(self, doc: Doc, arrays: DocArrays, reading: Reading) -> None:
        matcher = self.matcher
        assert matcher is not None
        strings = doc.vocab.strings
        rows, owners = [], []
        for i, sent in enumerate(reading.sentences):
            for hit in matcher.hits(
                arrays.lowers, arrays.space, sent.token_start, sent.token_end, strings
            ):
                k = KINDS.index(matcher.targets[hit.target].kind)
                if vetoed(reading, i, hit, k, arrays.punct):
                    continue
                rows.append(signals(reading, i, hit, k, reading.prompt))
                owners.append((i, hit.target))
        if self._references is not None and reading.vectors is not None:
            self._semantic_candidates(reading, arrays, owners, rows)
        if not rows:
            return
        probability = self.evidence.probability(np.vstack(rows))
        for (i, target), p in zip(owners, probability.tolist(), strict=True):
            if p >= self.evidence.threshold:
                reading.links.append((i, target, round(p, 3)))
                self.extractor.fill_theme(doc, arrays, reading, i)

    def _finish(self, reading: Reading) -> Analysis:
        if reading.skipped is not None:
            return Analysis([], reading.skipped)
        matcher = self.matcher
        by_sentence: dict[tuple[int, int], dict[int, float]] = {}
        if matcher is not None:
            for i, target, p in reading.links:
                k = KINDS.index(matcher.targets[target].kind)
                by_sentence.setdefault((i, k), {})[target] = p
        keys = {(i, k) for k in range(len(KINDS)) for i in reading.chosen[k]} | set(by_sentence)
        covered = {i for i, _ in by_sentence}
        out = []
        for i, k in sorted(keys):
            statement = reading.statement(i, KINDS[k])
            scores = by_sentence.get((i, k), {})
            if not scores and i in covered:
                # The classifier's other reading of a sentence that is a persona's evidence
                # stays a statement, but is no theme "no persona covers": a persona does.
                statement = replace(statement, theme="")
            matches = matcher.matches(scores) if matcher is not None else []
            out.append((statement, matches))
        return Analysis(out)

    def _semantic_candidates(
        self,
        reading: Reading,
        arrays: DocArrays,
        owners: list[tuple[int, int]],
        rows: list[np.ndarray],
    ) -> None:
        """On the semantic path: sentences close in meaning to an attribute's wording are
        candidates too (scored like a keyword hit), not only the statements the classifier
        found, and not only above a fixed cosine cut."""
        assert self._references is not None and reading.vectors is not None
        matcher = self.matcher
        assert matcher is not None
        vectors, owner_of = self._references
        similarity = reading.vectors @ vectors.T  # sentences × reference wordings
        have = set(owners)
        for i, sent in enumerate(reading.sentences):
            said = {reading.words[j] for j in range(sent.token_start, sent.token_end)}
            if not said.isdisjoint(NEGATORS) or not said.isdisjoint(CONDITIONS):
                continue  # without the attribute's words there is no scope to check: be safe
            best: dict[int, float] = {}
            for target, value in zip(owner_of.tolist(), similarity[i].tolist(), strict=True):
                if value > best.get(target, -1.0):
                    best[target] = value
            for target, value in best.items():
                if value < self.semantic_floor or (i, target) in have:
                    continue
                k = KINDS.index(matcher.targets[target].kind)
                hit = Hit(target, 0.0, sent.token_start)
                if vetoed(reading, i, hit, k, arrays.punct):
                    continue
                rows.append(signals(reading, i, hit, k, reading.prompt))
                owners.append((i, target))


def analysis_version(
    extractor_version: str, evidence: EvidenceModel | None = None, matcher: object = None
) -> str:
    """What an item's statements and evidence depend on, besides the personas' own version."""
    semantic = getattr(matcher, "semantic", None) is not None
    return version_of(extractor_version, (evidence or load_evidence_model()).digest, semantic)
