"""The daemon's parts wired from one config: store, NLP, matcher, processor; and one full pass."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from listener.config import Config
from listener.digest.deliver import DigestResult, run_digest
from listener.logging import get_logger
from listener.processing import ProcessCounts, Processor, Progress
from listener.runner import SourceRun, run_source
from listener.store.db import Store

log = get_logger("listener.service")


class Service:
    """Everything a run needs, built once; the NLP is loaded only when first used."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.store = Store(config.database_url)

    @cached_property
    def processor(self) -> Processor:
        from listener.matching import PersonaMatcher
        from listener.nlp import Extractor

        nlp_config = self.config.service.nlp
        extractor = Extractor(model=nlp_config.model)
        matcher = PersonaMatcher(self.config.personas, extractor.nlp, semantic=nlp_config.semantic)
        return Processor(
            extractor,
            matcher,
            self.config.personas,
            self.config.tz,
            batch_size=nlp_config.batch_size,
        )

    def upgrade(self) -> None:
        before, after = self.store.upgrade()
        if before != after:
            log.info("database upgraded", before=before, after=after)

    def fetch(self, name: str, stop: threading.Event | None = None) -> SourceRun:
        return run_source(self.store, self.config, self.config.source(name), stop)

    def process(
        self,
        on_progress: Progress | None = None,
        stop: threading.Event | None = None,
        wait: bool = True,
    ) -> ProcessCounts:
        return self.processor.process_pending(self.store, on_progress, stop, wait)

    def digest(self, now: datetime | None = None) -> DigestResult:
        return run_digest(self.store, self.config, now)

    def close(self) -> None:
        self.store.dispose()


@dataclass
class PassResult:
    runs: list[SourceRun] = field(default_factory=list)
    processed: ProcessCounts = field(default_factory=ProcessCounts)
    digest: DigestResult | None = None

    @property
    def added(self) -> int:
        return sum(run.counts.added for run in self.runs)

    @property
    def updated(self) -> int:
        return sum(run.counts.updated for run in self.runs)

    @property
    def failed(self) -> list[SourceRun]:
        return [run for run in self.runs if run.status == "failed"]
