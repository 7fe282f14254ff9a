"""Build ``listener/nlp/data/language.json``: the word lists the language check reads.

    python -m listener.nlp.build_language_data

Importing spaCy's thirteen other-language packages for their stop words costs about two
seconds (French alone compiles its tokenizer rules), so the lists are computed once here and
committed; the check only reads a small JSON file. Rebuilding gives the same file as long as
spaCy and spacy-lookups-data do (a test checks it).
"""

from __future__ import annotations

import json
from importlib import import_module
from pathlib import Path

OTHER_LANGUAGES = ("de", "fr", "es", "it", "pt", "nl", "sv", "da", "nb", "pl", "tr", "id", "ro")
EN_EXTRA = ("n't", "'s", "'m", "'re", "'ve", "'ll", "'d")
OUT = Path(__file__).parent / "data" / "language.json"


def english_vocabulary() -> set[str]:
    """English word forms and lemmas from spacy-lookups-data's lemma table."""
    import spacy_lookups_data
    import srsly
    from spacy.lang.en.stop_words import STOP_WORDS

    path = Path(spacy_lookups_data.__file__).parent / "data" / "en_lemma_lookup.json.gz"
    table: dict[str, str] = srsly.read_gzip_json(path)
    return (
        {k.lower() for k in table}
        | {v.lower() for v in table.values()}
        | {w.lower() for w in STOP_WORDS}
    )


def build() -> dict[str, list[str]]:
    from spacy.lang.en.stop_words import STOP_WORDS

    vocabulary = english_vocabulary()
    foreign: set[str] = set()
    for code in OTHER_LANGUAGES:
        module = import_module(f"spacy.lang.{code}.stop_words")
        foreign.update(w.lower() for w in module.STOP_WORDS)
    return {
        "english": sorted({w.lower() for w in STOP_WORDS} | set(EN_EXTRA)),
        "foreign": sorted(w for w in foreign if len(w) > 1 and w not in vocabulary),
        "languages": list(OTHER_LANGUAGES),
    }


def main() -> int:
    OUT.write_text(json.dumps(build(), ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    print(f"wrote {OUT} ({OUT.stat().st_size // 1024} KiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
