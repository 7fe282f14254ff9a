"""The extractor: text in, pain and aspiration statements with exact spans and themes out.

One code path for the daemon, ``listener extract`` and the evaluation. Per document: cap its
length (bounded cost), skip empty and non-English text (counted), split sentences, drop the ones
rules say are never statements (quotes, code), score the rest with the linear classifier
(:mod:`listener.nlp.model`), let the rules veto or boost, then decide per document and report the
sentences that carry the decision.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
from spacy.language import Language
from spacy.tokens import Doc, Span

from listener.nlp.features import FEATURE_VERSION, DocArrays, sentence_features
from listener.nlp.language import is_english_text
from listener.nlp.model import LinearModel, load_model
from listener.nlp.pipeline import build_nlp, lemma_lookup
from listener.nlp.prompted import is_non_answer
from listener.nlp.rules import NEUTRAL, RULES_VERSION, judge
from listener.nlp.themes import ThemeCache, theme_of
from listener.nlp.types import KINDS, ExtractionStats, Kind, Statement

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
_BULLETS = "-*•·‣–—>#"


def extractor_version(classifier: LinearModel | None = None, model: str | None = None) -> str:
    """Rules, features, weights and model: what an item's statements depend on. Cheap (no
    spaCy), so `listener status` can tell which stored items are due for re-processing."""
    classifier = classifier or load_model()
    version = f"{RULES_VERSION}.{FEATURE_VERSION}.{classifier.digest}"
    return f"{version}.{model}" if model else version


class Extractor:
    """Finds pain and aspiration statements. Build once; ``extract_many`` streams."""

    sentence_margin: float = SENTENCE_MARGIN

    def __init__(self, model: str | None = None, classifier: Path | None = None) -> None:
        self.nlp: Language = build_nlp(model)
        self.classifier: LinearModel = load_model(classifier)
        self.version = extractor_version(self.classifier, model)
        self.stats = ExtractionStats()
        # Blank English: lemmas are only needed for the few statement themes, so the per-token
        # lookup lemmatizer (half the pipeline's time) is skipped and themes look lemmas up.
        self._disable = ["lemmatizer"] if model is None and self.nlp.has_pipe("lemmatizer") else []
        pipes = set(self.nlp.pipe_names) - set(self._disable)
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
        (see :mod:`listener.nlp.parallel`) and takes no prompts.
        """
        if prompts is not None:
            if n_process > 1:
                raise ValueError("prompts are only supported with n_process=1")
            prompted = self.nlp.pipe(
                ((self._prepare(t), p) for t, p in zip(texts, prompts, strict=True)),
                batch_size=batch_size,
                disable=self._disable,
                as_tuples=True,
            )
            for doc, prompt in prompted:
                yield self._extract_doc(doc, doc.text, prompt)
            return
        if n_process > 1:
            from listener.nlp.parallel import extract_parallel

            yield from extract_parallel(self, texts, n_process, chunk_size=max(batch_size, 64))
            return
        # The text rides along: Doc.text rebuilds the string from the tokens on every call.
        prepared = ((text, text) for text in map(self._prepare, texts))
        pairs = self.nlp.pipe(
            prepared, batch_size=batch_size, disable=self._disable, as_tuples=True
        )
        for doc, text in pairs:
            yield self._extract_doc(doc, text)

    def margins(self, text: str) -> dict[str, float]:
        """Document logit minus decision threshold per kind (> 0: the kind is found). For
        inspection and for ranking evaluation misses; rule assertions are not reflected."""
        text = self._prepare(text)
        doc = next(self.nlp.pipe([text], disable=self._disable))
        _, scores, _ = self._score_sentences(doc, DocArrays(doc), text)
        totals = self.classifier.bias + scores.sum(axis=0) - self.classifier.threshold
        return {kind: round(float(totals[k]), 3) for k, kind in enumerate(KINDS)}

    def _prepare(self, text: object) -> str:
        if not isinstance(text, str):
            return ""
        if len(text) <= MAX_CHARS:
            return text
        self.stats.truncated += 1
        cut = text.rfind(" ", MAX_CHARS // 2, MAX_CHARS)
        return text[: cut if cut > 0 else MAX_CHARS]

    def _extract_doc(self, doc: Doc, text: str, prompt: str | None = None) -> list[Statement]:
        stats = self.stats
        stats.documents += 1
        if not text.strip():
            stats.skipped_empty += 1
            return []
        arrays = DocArrays(doc)
        if not is_english_text(text, arrays):
            stats.skipped_non_english += 1
            return []
        kept, scores, forced = self._score_sentences(doc, arrays, text)
        if not kept:
            return []
        if prompt in KINDS:
            k = KINDS.index(prompt)
            for i, sent in enumerate(kept):
                # Rules that deny the kind have already capped its score at 0 or below without
                # asserting it; only a denial or a non-answer keeps a prompted sentence out.
                denied = scores[i, k] <= 0 and self._denied(sent, arrays, text, k)
                if not denied and not is_non_answer(text[sent.start_char : sent.end_char]):
                    forced[i, k] = True
                    scores[i, k] = max(scores[i, k], 0.0)
        bias, threshold = self.classifier.bias, self.classifier.threshold
        totals = bias + scores.sum(axis=0)
        alone = bias + scores.max(axis=0) - self.sentence_margin
        statements: list[Statement] = []
        for k, kind in enumerate(KINDS):
            found = totals[k] > threshold[k] or alone[k] > threshold[k] or forced[:, k].any()
            if not found:
                continue
            column = scores[:, k]
            best = float(column.max())
            order = np.argsort(-column, kind="stable")[:MAX_STATEMENTS_PER_KIND]
            chosen = set(np.flatnonzero(forced[:, k])[:MAX_STATEMENTS_PER_KIND].tolist())
            for rank, i in enumerate(order.tolist()):
                if rank > 0 and (column[i] <= 0 or column[i] < SHARE_OF_BEST * best):
                    break
                if len(chosen) < MAX_STATEMENTS_PER_KIND:
                    chosen.add(i)
            statements.extend(self._statement(kind, kept[i], text, arrays) for i in sorted(chosen))
        statements.sort(key=lambda s: (s.start, s.kind))
        stats.statements += len(statements)
        stats.pain += sum(s.kind == "pain" for s in statements)
        stats.aspiration += sum(s.kind == "aspiration" for s in statements)
        return statements

    def _score_sentences(
        self, doc: Doc, a: DocArrays, text: str
    ) -> tuple[list[Span], np.ndarray, np.ndarray]:
        """Kept sentences, their (rule-adjusted) scores, and which kinds a rule asserts for them."""
        kept: list[Span] = []
        verdicts = []
        indices: list[int] = []
        offsets: list[int] = []
        in_code = False
        for n, sent in enumerate(doc.sents):
            if n >= MAX_SENTENCES:
                break
            sent_text = text[sent.start_char : sent.end_char]
            fences = sent_text.count("```")
            if in_code or fences:
                in_code = in_code != (fences % 2 == 1)
                continue  # a fenced code block: a machine's words, not the customer's
            start, end = sent.start, sent.end
            words = [a.lowers[i] for i in range(start, end) if not a.space[i]]
            verdict = judge(sent_text, words, any(a.alpha[start:end]))
            if verdict.skip:
                continue
            offsets.append(len(indices))
            indices.extend(sentence_features(a.lowers, a.punct, a.space, start, end))
            kept.append(sent)
            verdicts.append(verdict)
        forced = np.zeros((len(kept), len(KINDS)), dtype=bool)
        if not kept:
            return [], np.zeros((0, len(KINDS)), dtype=np.float32), forced
        scores = self.classifier.sentence_scores(
            np.asarray(indices, dtype=np.int64), np.asarray(offsets, dtype=np.int64)
        )
        for i, v in enumerate(verdicts):
            if v is NEUTRAL:
                continue
            for k, cap, assert_ in ((0, v.cap_pain, v.pain), (1, v.cap_aspiration, v.aspiration)):
                if cap:
                    scores[i, k] = min(scores[i, k], 0.0)
                elif assert_:
                    scores[i, k] = max(scores[i, k], 0.0)
                    forced[i, k] = True
        return kept, scores, forced

    def _denied(self, sent: Span, a: DocArrays, text: str, k: int) -> bool:
        """Whether the rules cap kind ``k`` for this sentence (a denial, an info question)."""
        start, end = sent.start, sent.end
        words = [a.lowers[i] for i in range(start, end) if not a.space[i]]
        verdict = judge(text[sent.start_char : sent.end_char], words, any(a.alpha[start:end]))
        return verdict.cap_pain if k == 0 else verdict.cap_aspiration

    def _statement(self, kind: Kind, sent: Span, text: str, arrays: DocArrays) -> Statement:
        start, end = sent.start_char, sent.end_char
        while start < end and (text[start].isspace() or text[start] in _BULLETS):
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        return Statement(
            kind=kind,
            text=text[start:end],
            start=start,
            end=end,
            theme=self._theme(sent, arrays),
        )

    def _theme(self, sent: Span, arrays: DocArrays) -> str:
        if self._tagged or self._lemmatized:
            return theme_of(sent, self._lemma, self._tagged, self._lemmatized)
        return self._themes.theme(arrays.lowers, arrays.alpha, sent.start, sent.end)
