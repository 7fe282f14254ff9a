"""Metrics only this process can know (how long extraction took), counted in memory.

Everything the database knows is read from it at scrape time instead (listener.health.metrics);
these reset on restart, as Prometheus counters may.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram
from prometheus_client.registry import Collector

EXTRACTION_SECONDS = Histogram(
    "listener_extraction_seconds",
    "Wall time of one processing pass (NLP extraction and persona matching)",
    buckets=(0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900),
    registry=None,
)
PROCESSED_ITEMS = Counter(
    "listener_processed_items", "Items read by the NLP in this process", registry=None
)
STATEMENTS_WRITTEN = Counter(
    "listener_statements_written", "Statements stored by this process", registry=None
)
EVIDENCE_WRITTEN = Counter(
    "listener_evidence_written", "Evidence rows stored by this process", registry=None
)
COLLECTORS: tuple[Collector, ...] = (
    EXTRACTION_SECONDS,
    PROCESSED_ITEMS,
    STATEMENTS_WRITTEN,
    EVIDENCE_WRITTEN,
)


def observe_processing(seconds: float, items: int, statements: int, evidence: int) -> None:
    """Record one processing pass; passes that found nothing pending are not timed."""
    if items == 0:
        return
    EXTRACTION_SECONDS.observe(seconds)
    PROCESSED_ITEMS.inc(items)
    STATEMENTS_WRITTEN.inc(statements)
    EVIDENCE_WRITTEN.inc(evidence)
