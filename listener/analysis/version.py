"""The processed key, computed without spaCy or torch (``listener status`` needs it fast)."""

from __future__ import annotations

from listener.analysis.model import EvidenceModel, load_evidence_model


def version_of(extractor_version: str, evidence: EvidenceModel, semantic: bool) -> str:
    from listener.matching_semantic import SEMANTIC_VERSION

    suffix = f".{SEMANTIC_VERSION}" if semantic else ""
    return f"{extractor_version}.e-{evidence.digest}{suffix}"


def processed_key(model: str | None, semantic: bool, personas_version: str) -> str:
    """The key items are processed under (= ``Processor.key``)."""
    from listener.nlp.model import load_model
    from listener.nlp.versions import extractor_version

    version = extractor_version(load_model().digest, model)
    if semantic:
        from listener.nlp.semantic import load_head

        version += f".h-{load_head().digest}"
    return f"{version_of(version, load_evidence_model(), semantic)}:{personas_version}"
