"""Proposals for a personas file from what customers said: pure, no database, no I/O.

Personas stop matching a shifting world when customers find new words for old pains, or new
pains. From the statements of the last weeks and the evidence they gave, this proposes
(a) phrases to add to an attribute: wordings in statements that are not evidence yet, which
the attribute's evidence uses far more than other statements do, (b) phrases and keywords that
matched nothing in the window, and (c) new attributes from recurring themes no attribute
covers. Nothing is applied: :mod:`listener.suggest.render` prints a patch a marketer reviews
and pastes.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from scipy.stats import hypergeom
from spacy.lang.en.stop_words import STOP_WORDS
from spacy.language import Language

from listener.drift.stats import benjamini_hochberg
from listener.matching import LemmaKeys, PersonaMatcher
from listener.nlp.features import NEGATOR_WORDS
from listener.nlp.rules import PLEASE_WORDS, REPAIR_WORDS
from listener.personas import Attribute, PersonaSet
from listener.store.suggest import StoredStatement

MIN_COUNT = 2
"""A wording or theme must recur this often in the window to be proposed."""
MAX_PHRASES_PER_ATTRIBUTE = 3
MAX_NEW_ATTRIBUTES = 5
MAX_QUOTES = 2
MIN_LIFT = 2.0
"""A proposed wording is used at least this many times as often in the attribute's evidence as
in all statements of its kind: a minimum effect, beside the test."""
FDR = 0.1
"""Benjamini–Hochberg level over every (wording, attribute) pair tested in one window."""
_STOP = frozenset(w.lower() for w in STOP_WORDS) | {"app", "thing", "lot", "way", "time", "doe"}
"""("doe" is the lookup lemmatiser's lemma of "does".)"""
_NEGATIONS = frozenset(NEGATOR_WORDS.split())
"""A negation is how a statement is said, not what it is about: "doesn't work" is every
attribute's complaint, never one attribute's wording."""
_GENERIC = _STOP | frozenset(f"{REPAIR_WORDS} {PLEASE_WORDS}".split())
"""Likewise a plea for a repair: "plz fix" names no attribute (a wording made only of these)."""
_WORD = re.compile(r"^[a-z][a-z'-]*$")


@dataclass(frozen=True, slots=True)
class PhraseProposal:
    persona: str
    kind: str
    attribute: str
    phrase: str
    adds: int
    """Statements in the window that are not evidence yet and would match the phrase."""
    cooccurs: int
    """Statements that are already evidence for the attribute and contain the wording."""
    quotes: tuple[str, ...]
    why: str = ""
    """What ties it to the attribute, in words, for the patch's comment."""


@dataclass(frozen=True, slots=True)
class StaleWording:
    persona: str
    kind: str
    attribute: str
    field: str
    """"phrases" or "keywords"."""
    wording: str


@dataclass(frozen=True, slots=True)
class NewAttribute:
    persona: str
    kind: str
    id: str
    label: str
    phrase: str
    count: int
    weeks: int
    quotes: tuple[str, ...]


@dataclass
class Suggestions:
    weeks: int
    since_week: str
    statements: int
    add: list[PhraseProposal] = field(default_factory=list)
    stale: list[StaleWording] = field(default_factory=list)
    new: list[NewAttribute] = field(default_factory=list)


def suggest(
    personas: PersonaSet,
    statements: Iterable[StoredStatement],
    nlp: Language,
    weeks: int,
    since_week: str,
    min_count: int = MIN_COUNT,
) -> Suggestions:
    rows = list(statements)
    keys = LemmaKeys(nlp)
    lemmas = keys.lemmas([s.text for s in rows])
    existing = _existing_wordings(personas, keys)
    out = Suggestions(weeks=weeks, since_week=since_week, statements=len(rows))
    out.add = _phrases_to_add(personas, rows, lemmas, keys, existing, min_count)
    out.stale = _stale(personas, rows, nlp)
    out.new = _new_attributes(personas, rows, lemmas, existing, min_count)
    return out


def _existing_wordings(personas: PersonaSet, keys: LemmaKeys) -> set[tuple[str, ...]]:
    texts = [
        w
        for persona in personas.personas
        for _, a in persona.attributes()
        for w in (*a.phrases, *a.keywords, a.label)
    ]
    return {lem for lem in keys.lemmas(texts) if lem}


def _candidates(lemmas: tuple[str, ...]) -> set[tuple[str, ...]]:
    """Contiguous two- and three-word wordings that start and end on a content word."""
    found = set()
    for size in (2, 3):
        for i in range(len(lemmas) - size + 1):
            gram = lemmas[i : i + size]
            if not all(_WORD.match(w) for w in gram):
                continue
            if gram[0] in _STOP or gram[-1] in _STOP or len(gram[0]) < 3 or len(gram[-1]) < 3:
                continue
            if not _NEGATIONS.isdisjoint(gram) or all(w in _GENERIC for w in gram):
                continue
            found.add(gram)
    return found


@dataclass(frozen=True, slots=True)
class _Candidate:
    """A wording tested for one attribute, with the figures of its test."""

    gram: tuple[str, ...]
    persona: str
    attribute: str
    adds: list[int]
    """Statements of the kind that are no evidence yet and use the wording."""
    cooccurs: int
    """The attribute's evidence statements that use it, of ``evidence``."""
    evidence: int
    lift: float
    p: float

    def why(self, kind: str, q: float) -> str:
        return (
            f"{self.cooccurs} of its {self.evidence} evidence statements use it, "
            f"{self.lift:.1f}× as often as all {kind} statements, q = {q:.2g}"
        )


def _phrases_to_add(
    personas: PersonaSet,
    rows: list[StoredStatement],
    lemmas: list[tuple[str, ...]],
    keys: LemmaKeys,
    existing: set[tuple[str, ...]],
    min_count: int,
) -> list[PhraseProposal]:
    """Wordings tied to an attribute's evidence (:func:`_tied`), ranked per attribute by the
    statements they would add.

    Measured on app reviews (``bench/eval_evolve.py``): when a wording seen once beside some
    evidence, or sharing any word with an attribute's phrases, was enough, it proposed
    "doesn't work" for nine attributes and "highly recommend" as a pain, and pasting every
    proposal took linking macro F1 from 0.328 to 0.216. Sharing a word that only this
    attribute uses was tried as well: it proposed praise inside complaints ("works well")
    and left F1 where it was, so closeness without an embedding is not a reason.
    """
    grams = [_candidates(lem) for lem in lemmas]
    per_attribute: dict[tuple[str, str], list[tuple[_Candidate, float]]] = defaultdict(list)
    for candidate, q in _tied(personas, rows, grams, keys, existing, min_count).values():
        per_attribute[(candidate.persona, candidate.attribute)].append((candidate, q))
    out = []
    for persona in personas.personas:
        for kind, attribute in persona.attributes():
            ranked = sorted(
                per_attribute.get((persona.id, attribute.id), []),
                key=lambda cq: (-len(cq[0].adds), cq[0].p, -len(cq[0].gram), cq[0].gram),
            )
            covered: set[int] = set()
            chosen = 0
            for c, q in ranked:
                if covered.issuperset(c.adds):
                    continue  # adds no statement a better wording did not already add
                covered.update(c.adds)
                quotes = tuple(_quote(rows[i].text) for i in c.adds[:MAX_QUOTES])
                phrase = _surface(c.gram, [rows[i].text for i in c.adds], keys)
                out.append(
                    PhraseProposal(
                        persona.id, kind, attribute.id, phrase, len(c.adds), c.cooccurs,
                        quotes, c.why(kind, q),
                    )
                )  # fmt: skip
                chosen += 1
                if chosen == MAX_PHRASES_PER_ATTRIBUTE:
                    break
    return out


def _unmatched(
    rows: list[StoredStatement],
    grams: list[set[tuple[str, ...]]],
    of_kind: list[int],
    existing: set[tuple[str, ...]],
) -> dict[tuple[str, ...], list[int]]:
    """Wording → the statements of the kind that are no evidence yet and use it."""
    out: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for i in of_kind:
        if not rows[i].evidence:
            for g in grams[i]:
                if g not in existing:
                    out[g].append(i)
    return out


def _tied(
    personas: PersonaSet,
    rows: list[StoredStatement],
    grams: list[set[tuple[str, ...]]],
    keys: LemmaKeys,
    existing: set[tuple[str, ...]],
    min_count: int,
) -> dict[tuple[str, ...], tuple[_Candidate, float]]:
    """Wordings that an attribute's evidence uses far more than statements at large do, each
    with the candidate it is most tied to and its q-value.

    Under no association, the number of an attribute's evidence statements that use a wording
    is hypergeometric (the statements of its kind that use it, drawn as the evidence). The
    one-sided p-values of every (wording, attribute) pair tested go through Benjamini–Hochberg
    at ``FDR``, and the wording must be ``MIN_LIFT`` times as common in the evidence as overall
    (under that, a pair still counts in the family but is never proposed). Parts of the
    attribute's own wordings are not tested (:func:`_parts`). Each wording goes to the one
    attribute it is most tied to.
    """
    tested: list[_Candidate] = []
    for kind in ("pain", "aspiration"):
        of_kind = [i for i, s in enumerate(rows) if s.kind == kind]
        uses = Counter(g for i in of_kind for g in grams[i])
        unmatched = _unmatched(rows, grams, of_kind, existing)
        for persona in personas.personas:
            for attribute_kind, attribute in persona.attributes():
                if attribute_kind != kind:
                    continue
                owner = (persona.id, attribute.id)
                evidence = [i for i in of_kind if owner in rows[i].evidence]
                near = Counter(g for i in evidence for g in grams[i])
                own = _parts(keys.lemmas(_wordings(attribute)))
                for g, n_near in near.items():
                    where = unmatched.get(g, [])
                    if len(where) < min_count or g in own:
                        continue
                    lift = (n_near / len(evidence)) / (uses[g] / len(of_kind))
                    p = (
                        float(hypergeom.sf(n_near - 1, len(of_kind), uses[g], len(evidence)))
                        if lift >= MIN_LIFT
                        else 1.0
                    )
                    tested.append(
                        _Candidate(
                            g, persona.id, attribute.id, where, n_near, len(evidence), lift, p
                        )
                    )
    best: dict[tuple[str, ...], tuple[_Candidate, float]] = {}
    if tested:
        q = benjamini_hochberg([c.p for c in tested])
        for c, q_value in zip(tested, q, strict=True):
            if q_value <= FDR and (c.gram not in best or c.p < best[c.gram][0].p):
                best[c.gram] = (c, float(q_value))
    return best


def _parts(wordings: list[tuple[str, ...]]) -> set[tuple[str, ...]]:
    """Every run of two or more words inside an attribute's own wordings. Its evidence uses
    them by construction (it matched through them), so their tie to it says nothing; and a
    marketer who wrote "doesn't work on my" chose not to write "doesn't work"."""
    return {w[i:j] for w in wordings for i in range(len(w)) for j in range(i + 2, len(w) + 1)}


def _surface(gram: tuple[str, ...], texts: list[str], keys: LemmaKeys) -> str:
    """The wording as customers wrote it most often ("doesn't work", not the lemmas "doe not
    work"): the lower-case text from the gram's first to last word, skipped words included."""
    seen: Counter[str] = Counter()
    for doc, words in keys.words(texts):
        forms = tuple(lemma for _, lemma in words)
        for i in range(len(forms) - len(gram) + 1):
            if forms[i : i + len(gram)] == gram:
                first, last = words[i][0], words[i + len(gram) - 1][0]
                seen[doc.text[first.idx : last.idx + len(last.text)].lower()] += 1
    return seen.most_common(1)[0][0] if seen else " ".join(gram)


def _wordings(attribute: Attribute) -> list[str]:
    return [*attribute.phrases, *attribute.keywords, attribute.label]


def _stale(personas: PersonaSet, rows: list[StoredStatement], nlp: Language) -> list[StaleWording]:
    """Each phrase and keyword on its own (as one probe attribute), matched in one pass against
    the window's statements of its kind."""
    probes: dict[str, list[dict[str, object]]] = {"pain": [], "aspiration": []}
    owners: list[StaleWording] = []
    for persona in personas.personas:
        for kind, attribute in persona.attributes():
            for field_name, wordings in (
                ("phrases", attribute.phrases),
                ("keywords", attribute.keywords),
            ):
                for wording in wordings:
                    probes[kind].append(
                        {
                            "id": f"w{len(owners)}",
                            "label": wording,
                            "phrases": [wording],
                            "synonyms": dict(attribute.synonyms),
                        }
                    )
                    owners.append(StaleWording(persona.id, kind, attribute.id, field_name, wording))
    probe = PersonaSet.model_validate(
        {
            "personas": [
                {"id": "probe", "name": "probe", "pains": probes["pain"],
                 "aspirations": probes["aspiration"]}
            ],
            "synonyms": dict(personas.synonyms),
        }
    )  # fmt: skip
    matcher = PersonaMatcher(probe, nlp)
    seen: set[str] = set()
    for kind in ("pain", "aspiration"):
        texts = [s.text for s in rows if s.kind == kind]
        for matches in matcher.match_many_texts(texts, [kind] * len(texts)):
            seen.update(m.attribute for m in matches)
    return [owner for n, owner in enumerate(owners) if f"w{n}" not in seen]


def _new_attributes(
    personas: PersonaSet,
    rows: list[StoredStatement],
    lemmas: list[tuple[str, ...]],
    existing: set[tuple[str, ...]],
    min_count: int,
) -> list[NewAttribute]:
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, s in enumerate(rows):
        if not s.evidence and len(s.theme.split()) >= 2:
            groups[(s.kind, s.theme)].append(i)
    home = _home_persona(personas, rows)
    taken = {a.id for p in personas.personas for _, a in p.attributes()}
    out = []
    ranked = sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    for (kind, theme), where in ranked:
        if len(where) < max(min_count, 3) or tuple(theme.split()) in existing:
            continue
        persona = home.get(kind)
        if persona is None:
            continue
        slug = re.sub(r"[^a-z0-9]+", "-", theme.lower()).strip("-")[:60] or "new-theme"
        if slug in taken:
            continue
        taken.add(slug)
        weeks = len({rows[i].week for i in where})
        quotes = tuple(_quote(rows[i].text) for i in where[:MAX_QUOTES])
        label = theme[:1].upper() + theme[1:]
        out.append(NewAttribute(persona, kind, slug, label, theme, len(where), weeks, quotes))
        if len(out) == MAX_NEW_ATTRIBUTES:
            break
    return out


def _home_persona(personas: PersonaSet, rows: list[StoredStatement]) -> dict[str, str]:
    """Per kind, the (non-negative) persona with the most evidence of that kind in the window."""
    kind_of = {(p.id, a.id): kind for p in personas.personas for kind, a in p.attributes()}
    counts: Counter[tuple[str, str]] = Counter()
    for s in rows:
        for owner in set(s.evidence):
            if owner in kind_of:
                counts[(kind_of[owner], owner[0])] += 1
    home = {}
    for kind in ("pain", "aspiration"):
        candidates = [p for p in personas.personas if not p.negative] or list(personas.personas)
        best = max(candidates, key=lambda p: (counts[(kind, p.id)], -candidates.index(p)))
        home[kind] = best.id
    return home


def _quote(text: str, limit: int = 120) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"
