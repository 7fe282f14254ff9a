"""Proposals for a personas file from what customers said: pure, no database, no I/O.

Personas stop matching a shifting world when customers find new words for old pains, or new
pains. From the statements of the last weeks and the evidence they gave, this proposes
(a) phrases to add to an attribute: wordings in statements that are not evidence yet, which
co-occur with the attribute's evidence or share its words, (b) phrases and keywords that matched
nothing in the window, and (c) new attributes from recurring themes no attribute covers. Nothing
is applied: :mod:`listener.suggest.render` prints a patch a marketer reviews and pastes.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from spacy.lang.en.stop_words import STOP_WORDS
from spacy.language import Language

from listener.matching import LemmaKeys, PersonaMatcher
from listener.personas import Attribute, PersonaSet
from listener.store.suggest import StoredStatement

MIN_COUNT = 2
"""A wording or theme must recur this often in the window to be proposed."""
MAX_PHRASES_PER_ATTRIBUTE = 3
MAX_NEW_ATTRIBUTES = 5
MAX_QUOTES = 2
_STOP = frozenset(w.lower() for w in STOP_WORDS) | {"app", "thing", "lot", "way", "time"}
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
            found.add(gram)
    return found


def _phrases_to_add(
    personas: PersonaSet,
    rows: list[StoredStatement],
    lemmas: list[tuple[str, ...]],
    keys: LemmaKeys,
    existing: set[tuple[str, ...]],
    min_count: int,
) -> list[PhraseProposal]:
    grams = [_candidates(lem) for lem in lemmas]
    out = []
    for persona in personas.personas:
        for kind, attribute in persona.attributes():
            owner = (persona.id, attribute.id)
            vocabulary = {w for lem in keys.lemmas(_wordings(attribute)) for w in lem} - _STOP
            evidence = [i for i, s in enumerate(rows) if owner in s.evidence]
            unmatched = [i for i, s in enumerate(rows) if s.kind == kind and not s.evidence]
            near = Counter(g for i in evidence for g in grams[i])
            adds: dict[tuple[str, ...], list[int]] = defaultdict(list)
            for i in unmatched:
                for g in grams[i]:
                    if g in existing:
                        continue
                    if near[g] or vocabulary.intersection(g):
                        adds[g].append(i)
            ranked = sorted(
                ((len(v), near[g], g, v) for g, v in adds.items() if len(v) >= min_count),
                key=lambda t: (-t[0], -t[1], -len(t[2]), t[2]),
            )
            chosen: list[tuple[str, ...]] = []
            covered: set[int] = set()
            for count, co, gram, where in ranked:
                if covered.issuperset(where):
                    continue  # adds no statement a better wording did not already add
                chosen.append(gram)
                covered.update(where)
                quotes = tuple(_quote(rows[i].text) for i in where[:MAX_QUOTES])
                out.append(
                    PhraseProposal(
                        persona.id, kind, attribute.id, " ".join(gram), count, co, quotes
                    )
                )
                if len(chosen) == MAX_PHRASES_PER_ATTRIBUTE:
                    break
    return out


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
