"""The extractor: text in, pain and aspiration statements with exact spans and themes out.

One code path for the daemon, ``listener extract`` and the evaluation. Per document: cap its
length (bounded cost), skip empty and non-English text (with the reason), split sentences, drop
the ones rules say are never statements (quotes, code), score the rest with the linear classifier
(:mod:`listener.nlp.model`), let the rules veto or boost, then decide per document and report the
sentences that carry the decision. Each chunk of documents is read inside a spaCy memory zone,
so the vocabulary does not grow with every new word (unique numbers, ids, typos) of a stream.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, nullcontext
from itertools import islice
from pathlib import Path

import numpy as np
from spacy.language import Language
from spacy.tokens import Doc

from listener.nlp import versions
from listener.nlp.features import DocArrays, sentence_features
from listener.nlp.language import is_english_text
from listener.nlp.model import LinearModel, load_model
from listener.nlp.pipeline import SENTENCES, build_nlp, lemma_lookup
from listener.nlp.prompted import is_non_answer
from listener.nlp.reading import Reading, Sentence
from listener.nlp.rules import NEUTRAL, Verdict, judge
from listener.nlp.semantic import Encoder, SemanticHead, load_head
from listener.nlp.sentences import trimmed
from listener.nlp.themes import ThemeCache, theme_of
from listener.nlp.types import KINDS, ExtractionStats, Statement

MAX_CHARS = 20_000
"""Characters read per document; the rest of a huge post is ignored (and counted as truncated)."""
MAX_SENTENCES = 300
MAX_STATEMENTS_PER_KIND = 10
SHARE_OF_BEST = 0.5
"""A sentence is reported when it carries at least this share of the strongest sentence's score."""
SENTENCE_MARGIN = 1.0
"""A kind is found when the whole document scores above the threshold, or one sentence on its own
(bias + its score) scores this much above it: a review that both complains and asks for a
feature must not have its complaint cancelled by its request."""
PERMANENT_STRINGS = 150_000
"""Strings the vocabulary keeps for good (about 30 MB) before new words become transient."""

Annotate = Callable[[Doc, DocArrays, Reading], None]
"""Called for each document while its Doc is valid (inside the memory zone)."""


def extractor_version(classifier: LinearModel | None = None, model: str | None = None) -> str:
    """Rules, features, weights and model: what an item's statements depend on (see
    :mod:`listener.nlp.versions` for the cheap form `listener status` uses)."""
    return versions.extractor_version((classifier or load_model()).digest, model)


class Extractor:
    """Finds pain and aspiration statements. Build once; ``extract_many`` streams."""

    sentence_margin: float = SENTENCE_MARGIN
    permanent_strings: int = PERMANENT_STRINGS

    def __init__(
        self,
        model: str | None = None,
        classifier: Path | LinearModel | None = None,
        semantic: bool | SemanticHead = False,
        encoder: Encoder | None = None,
    ) -> None:
        self.nlp: Language = build_nlp(model)
        self.model = model
        self.classifier: LinearModel = (
            classifier if isinstance(classifier, LinearModel) else load_model(classifier)
        )
        self.version = extractor_version(self.classifier, model)
        self.head: SemanticHead | None = None
        self.encoder: Encoder | None = None
        self.threshold = self.classifier.threshold
        if semantic is not False:
            self.head = semantic if isinstance(semantic, SemanticHead) else load_head()
            self.encoder = encoder or Encoder()
            self.threshold = self.head.threshold
            self.version += f".h-{self.head.digest}"
        self.stats = ExtractionStats()
        # Blank English: lemmas are only needed for the few statement themes, so the per-token
        # lookup lemmatizer (half the pipeline's time) is skipped and themes look lemmas up.
        self._disable = ["lemmatizer"] if model is None and self.nlp.has_pipe("lemmatizer") else []
        pipes = set(self.nlp.pipe_names) - set(self._disable)
        self._split_here = pipes == {SENTENCES}
        """Only our sentence rule would run: tokenize and split from the arrays instead."""
        self._tagged = bool(pipes & {"tagger", "morphologizer"})
        self._lemmatized = "lemmatizer" in pipes
        self._lemma = lemma_lookup(self.nlp)
        self._themes = ThemeCache(self.nlp.vocab.strings, self._lemma)

    def extract(self, text: str) -> list[Statement]:
        return next(self.extract_many([text]))

    def extract_many(
        self,
        texts: Iterable[str],
        batch_size: int = 256,
        n_process: int = 1,
        prompts: Iterable[str | None] | None = None,
    ) -> Iterator[list[Statement]]:
        """One list per input text, in order; streams (memory does not grow with the input).

        ``prompts`` (one per text, or None) names the kind a text's question asked for: see
        :mod:`listener.nlp.prompted`. ``n_process > 1`` spreads chunks over forked processes
        (see :mod:`listener.nlp.parallel`).
        """
        if n_process > 1:
            from listener.nlp.parallel import extract_parallel

            yield from extract_parallel(
                self, texts, n_process, chunk_size=max(batch_size, 64), prompts=prompts
            )
            return
        for reading in self.read_many(texts, batch_size, prompts):
            yield reading.statements()

    def read_many(
        self,
        texts: Iterable[str],
        batch_size: int = 256,
        prompts: Iterable[str | None] | None = None,
        annotate: Annotate | None = None,
    ) -> Iterator[Reading]:
        """One :class:`Reading` per text, in order, in chunks of ``batch_size``."""
        texts_iter = iter(texts)
        prompts_iter = iter(prompts) if prompts is not None else None
        while chunk := list(islice(texts_iter, batch_size)):
            asked = (
                list(islice(prompts_iter, len(chunk)))
                if prompts_iter is not None
                else [None] * len(chunk)
            )
            if len(asked) != len(chunk):
                raise ValueError("prompts must have one entry per text")
            prepared = [self._prepare(t) for t in chunk]
            with self._zone():
                # The text rides along: Doc.text rebuilds the string from the tokens each call.
                docs = self._docs(prepared, batch_size)
                scored = self._score_chunk(
                    [
                        self._score_doc(doc, text, prompt)
                        for doc, text, prompt in zip(docs, prepared, asked, strict=True)
                    ]
                )
                if self.head is not None:
                    self._add_semantic(scored)
                readings = []
                for doc, arrays, reading, scores, verdicts in scored:
                    if reading.skipped is None:
                        self._decide(doc, arrays, reading, scores, verdicts)
                    if annotate is not None and reading.skipped is None:
                        annotate(doc, arrays, reading)
                    readings.append(reading)
            yield from readings

    def _docs(self, texts: list[str], batch_size: int) -> Iterator[Doc]:
        """Blank English needs only the tokenizer (sentences are split from the token arrays,
        :class:`DocArrays`): ``nlp.pipe`` costs a tenth of the extraction in bookkeeping."""
        if self._split_here:
            return map(self.nlp.tokenizer, texts)
        return iter(self.nlp.pipe(texts, batch_size=batch_size, disable=self._disable))

    def _zone(self) -> AbstractContextManager[object]:
        """A spaCy memory zone once the vocabulary holds the common words: words first seen
        after that (unique numbers, ids, typos) are forgotten after their chunk, so memory stays
        flat in the number of documents. Zones from the start would forget common words too,
        and re-learning them every chunk halved the throughput."""
        if len(self.nlp.vocab.strings) < self.permanent_strings:
            return nullcontext()
        return self.nlp.memory_zone()

    def margins(self, text: str) -> dict[str, float]:
        """Document logit minus decision threshold per kind (> 0: the kind is found). For
        inspection and for ranking evaluation misses; rule assertions are not reflected."""
        text = self._prepare(text)
        with self._zone():
            doc = next(self._docs([text], 1))
            arrays = DocArrays(doc, text if self._split_here else None)
            _, (indices, offsets), verdicts = self._read_sentences(arrays, text)
            scores = self.classifier.sentence_scores(
                np.asarray(indices, dtype=np.int64), np.asarray(offsets, dtype=np.int64)
            )
            scores, _, _ = _apply_rules(scores, verdicts)
        totals = self.classifier.bias + scores.sum(axis=0) - self.threshold
        return {kind: round(float(totals[k]), 3) for k, kind in enumerate(KINDS)}

    def _prepare(self, text: object) -> str:
        if not isinstance(text, str):
            return ""
        if len(text) <= MAX_CHARS:
            return text
        self.stats.truncated += 1
        cut = text.rfind(" ", MAX_CHARS // 2, MAX_CHARS)
        return text[: cut if cut > 0 else MAX_CHARS]

    Scored = tuple[Doc, DocArrays, Reading, np.ndarray, list[Verdict]]
    Features = tuple[list[int], list[int]]
    """Kept sentences' feature buckets (one list) and where each sentence's run starts."""
    Read = tuple[Doc, DocArrays, Reading, Features, list[Verdict]]

    def _score_chunk(self, read: list[Extractor.Read]) -> list[Extractor.Scored]:
        """The classifier's scores for every kept sentence of the chunk in one call (numpy's
        per-call cost, paid per document, was several percent of the extraction)."""
        indices: list[int] = []
        offsets: list[int] = []
        for _, _, _, (feats, starts), _ in read:
            base = len(indices)
            offsets.extend([base + o for o in starts])
            indices.extend(feats)
        rows = self.classifier.sentence_scores(
            np.asarray(indices, dtype=np.int64), np.asarray(offsets, dtype=np.int64)
        )
        out: list[Extractor.Scored] = []
        row = 0
        for doc, arrays, reading, (_, starts), verdicts in read:
            out.append((doc, arrays, reading, rows[row : row + len(starts)], verdicts))
            row += len(starts)
        return out

    def _score_doc(self, doc: Doc, text: str, prompt: str | None) -> Extractor.Read:
        """First phase: skip reasons, kept sentences and their features."""
        stats = self.stats
        stats.documents += 1
        arrays = DocArrays(doc, text if self._split_here else None)
        reading = Reading(text=text, prompt=prompt)
        nothing: Extractor.Features = ([], [])
        if not text.strip():
            stats.skipped_empty += 1
            reading.skipped = "empty"
            return doc, arrays, reading, nothing, []
        if not is_english_text(text, arrays):
            stats.skipped_non_english += 1
            reading.skipped = "language"
            return doc, arrays, reading, nothing, []
        reading.words, reading.space = arrays.words, arrays.space
        kept, features, verdicts = self._read_sentences(arrays, text)
        if not kept:
            reading.skipped = "nothing-kept"
        reading.sentences = kept
        return doc, arrays, reading, features, verdicts

    def _add_semantic(self, scored: list[Extractor.Scored]) -> None:
        """Embed every kept sentence of the chunk at once; add the head's scaled logit."""
        assert self.head is not None and self.encoder is not None
        texts = [
            r.text[s.start : s.end]
            for _, _, r, _, _ in scored
            if r.skipped is None
            for s in r.sentences
        ]
        vectors = self.encoder.encode(texts)
        logits = self.head.logits(vectors) * self.head.beta
        row = 0
        for _, _, reading, scores, _ in scored:
            if reading.skipped is not None:
                continue
            n = len(reading.sentences)
            reading.vectors = vectors[row : row + n]
            scores += logits[row : row + n]
            row += n

    def _decide(
        self,
        doc: Doc,
        arrays: DocArrays,
        reading: Reading,
        scores: np.ndarray,
        verdicts: list[Verdict],
    ) -> None:
        """Second phase: rules, the survey prompt, and the per-document decision."""
        stats, text, prompt, kept = self.stats, reading.text, reading.prompt, reading.sentences
        scores, forced, denied = _apply_rules(scores, verdicts)
        any_forced = [False, False]
        if forced is not _NO_FLAGS:
            any_forced = [bool(forced[:, k].any()) for k in range(len(KINDS))]
        if prompt in KINDS:
            k = KINDS.index(prompt)
            if forced is _NO_FLAGS:
                forced = np.zeros(scores.shape, dtype=bool)
            for i, sent in enumerate(kept):
                # Rules that deny the kind have already capped its score at 0 or below without
                # asserting it; only a denial or a non-answer keeps a prompted sentence out.
                if not denied[i, k] and not is_non_answer(text[sent.start : sent.end]):
                    forced[i, k] = True
                    any_forced[k] = True
                    scores[i, k] = max(scores[i, k], 0.0)
        n = len(kept)
        reading.forced = forced if forced is not _NO_FLAGS else _NO_FLAGS[:n]
        reading.denied = denied if denied is not _NO_FLAGS else _NO_FLAGS[:n]
        bias, threshold = self.classifier.bias, self.threshold
        totals = bias + scores.sum(axis=0)
        alone = bias + scores.max(axis=0) - self.sentence_margin
        reading.margins = (bias + scores - threshold).astype(np.float32)
        reading.doc_margins = (totals - threshold).astype(np.float32)
        # Plain Python from here: numpy's per-call cost dominates on a few sentences.
        found_kinds: list[bool] = ((totals > threshold) | (alone > threshold)).tolist()
        columns = scores.T.tolist()
        for k, kind in enumerate(KINDS):
            found = found_kinds[k] or any_forced[k]
            if not found:
                continue
            column = columns[k]
            best = max(column)
            order = sorted(range(len(column)), key=column.__getitem__, reverse=True)
            chosen = (
                set(np.flatnonzero(forced[:, k])[:MAX_STATEMENTS_PER_KIND].tolist())
                if any_forced[k]
                else set()
            )
            for rank, i in enumerate(order[:MAX_STATEMENTS_PER_KIND]):
                if rank > 0 and (column[i] <= 0 or column[i] < SHARE_OF_BEST * best):
                    break
                if len(chosen) < MAX_STATEMENTS_PER_KIND:
                    chosen.add(i)
            reading.chosen[k] = sorted(chosen)
            for i in chosen:
                self.fill_theme(doc, arrays, reading, i)
            stats.statements += len(chosen)
            setattr(stats, kind, getattr(stats, kind) + len(chosen))

    def fill_theme(self, doc: Doc, arrays: DocArrays, reading: Reading, i: int) -> None:
        """Set sentence ``i``'s theme (needs the Doc: call inside :meth:`read_many`)."""
        sent = reading.sentences[i]
        if sent.theme:
            return
        if self._tagged or self._lemmatized:
            sent.theme = theme_of(
                doc[sent.token_start : sent.token_end], self._lemma, self._tagged, self._lemmatized
            )
        else:
            sent.theme = self._themes.theme(
                arrays.lowers, arrays.alpha, sent.token_start, sent.token_end
            )

    def _read_sentences(
        self, a: DocArrays, text: str
    ) -> tuple[list[Sentence], Extractor.Features, list[Verdict]]:
        """Kept sentences, their features and the rules' verdicts on them."""
        kept: list[Sentence] = []
        verdicts = []
        in_code = False
        lowers, space, alpha = a.lowers, a.space, a.alpha
        for start, end, start_char, end_char in a.bounds[:MAX_SENTENCES]:
            sent_text = text[start_char:end_char]
            fences = sent_text.count("```")
            if in_code or fences:
                in_code = in_code != (fences % 2 == 1)
                continue  # a fenced code block: a machine's words, not the customer's
            words = [lowers[i] for i in range(start, end) if not space[i]]
            verdict = judge(sent_text, words, any(alpha[start:end]))
            if verdict.skip:
                continue
            kept.append(trimmed(text, start_char, end_char, start, end))
            verdicts.append(verdict)
        indices: list[int] = []
        offsets: list[int] = []
        for s in kept:
            offsets.append(len(indices))
            indices.extend(sentence_features(a.words, a.punct, a.space, s.token_start, s.token_end))
        return kept, (indices, offsets), verdicts


_NO_FLAGS = np.zeros((MAX_SENTENCES, len(KINDS)), dtype=bool)
"""Shared read-only "no rule applies" flags (rows beyond a document's sentences are unused)."""
_NO_FLAGS.flags.writeable = False


def _apply_rules(
    scores: np.ndarray, verdicts: list[Verdict]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Scores after the rules' caps and assertions; which kinds they assert and which deny."""
    if all(v is NEUTRAL for v in verdicts):
        return scores, _NO_FLAGS, _NO_FLAGS
    scores = scores.copy()
    shape = scores.shape
    forced, denied = np.zeros(shape, dtype=bool), np.zeros(shape, dtype=bool)
    for i, v in enumerate(verdicts):
        if v is NEUTRAL:
            continue
        for k, cap, assert_ in ((0, v.cap_pain, v.pain), (1, v.cap_aspiration, v.aspiration)):
            if cap:
                scores[i, k] = min(scores[i, k], 0.0)
                denied[i, k] = True
            elif assert_:
                scores[i, k] = max(scores[i, k], 0.0)
                forced[i, k] = True
    return scores, forced, denied
