"""The processed key, computed without spaCy or torch (``listener status`` needs it fast)."""

from __future__ import annotations

from listener.analysis import evidence_file
from listener.errors import ListenerError
from listener.nlp import model_file


def version_of(extractor_version: str, evidence_digest: str, semantic: bool) -> str:
    from listener.matching_semantic import SEMANTIC_VERSION

    suffix = f".{SEMANTIC_VERSION}" if semantic else ""
    return f"{extractor_version}.e-{evidence_digest}{suffix}"


def processed_key(model: str | None, semantic: bool, personas_version: str) -> str:
    """The key items are processed under (= ``Processor.key``), from the shipped files' digests:
    no numpy, no arrays."""
    from listener.nlp.versions import extractor_version

    classifier = model_file.packaged_digest()
    if classifier is None:
        raise ListenerError(
            f"NLP classifier listener/nlp/data/{model_file.DEFAULT_MODEL} is missing",
            hint="reinstall the package, or train one: python -m listener.nlp.train_classifier",
        )
    version = extractor_version(classifier, model)
    if semantic:
        from listener.nlp.semantic import load_head

        version += f".h-{load_head().digest}"
    evidence = evidence_file.packaged_digest()
    return f"{version_of(version, evidence, semantic)}:{personas_version}"
