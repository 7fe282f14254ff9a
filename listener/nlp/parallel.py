"""Extraction over several processes, for large backlogs (re-scoring, first runs).

Chunks of texts go to forked workers that share the parent's loaded pipeline and classifier
(copy-on-write), and come back in order. At most a few chunks are in flight, so memory stays flat
however long the input is. Measured in ``bench/bench_extract.py``: on small machines one process
may be as fast, so the default everywhere is one.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Iterable, Iterator
from itertools import islice
from multiprocessing.pool import AsyncResult
from typing import TYPE_CHECKING

from listener.nlp.types import ExtractionStats, Statement

if TYPE_CHECKING:
    from listener.nlp.extractor import Extractor

_worker: Extractor | None = None
Result = tuple[list[list[Statement]], dict[str, int]]


def _run(chunk: list[str], prompts: list[str | None] | None) -> Result:
    assert _worker is not None, "worker started without an extractor"
    before = _worker.stats.as_dict()
    results = list(_worker.extract_many(chunk, batch_size=len(chunk) or 1, prompts=prompts))
    after = _worker.stats.as_dict()
    return results, {k: after[k] - before[k] for k in after}


def extract_parallel(
    extractor: Extractor,
    texts: Iterable[str],
    n_process: int,
    chunk_size: int = 512,
    prompts: Iterable[str | None] | None = None,
) -> Iterator[list[Statement]]:
    """``extractor.extract_many`` on ``n_process`` processes (one where fork is missing)."""
    if n_process <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        yield from extractor.extract_many(texts, prompts=prompts)
        return
    global _worker
    _worker = extractor
    context = multiprocessing.get_context("fork")
    iterator = iter(texts)
    asked = iter(prompts) if prompts is not None else None
    window: deque[AsyncResult[Result]] = deque()
    with context.Pool(n_process) as pool:
        while True:
            while len(window) < 2 * n_process:
                chunk = list(islice(iterator, chunk_size))
                if not chunk:
                    break
                chunk_prompts = list(islice(asked, len(chunk))) if asked is not None else None
                window.append(pool.apply_async(_run, (chunk, chunk_prompts)))
            if not window:
                break
            results, delta = window.popleft().get()
            _merge(extractor.stats, delta)
            yield from results
    _worker = None


def _merge(stats: ExtractionStats, delta: dict[str, int]) -> None:
    for name, value in delta.items():
        setattr(stats, name, getattr(stats, name) + value)
