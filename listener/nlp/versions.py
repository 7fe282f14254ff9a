"""Version tags of everything extraction depends on, importable without spaCy.

``listener status`` compares stored items' processed keys with the current one; it must not pay
for loading spaCy (about half a second) to know the key.
"""

from __future__ import annotations

RULES_VERSION = "r5"
FEATURE_VERSION = "f3"
N_BITS = 18
N_BUCKETS = 1 << N_BITS


def extractor_version(classifier_digest: str, model: str | None = None) -> str:
    version = f"{RULES_VERSION}.{FEATURE_VERSION}.{classifier_digest}"
    return f"{version}.{model}" if model else version
