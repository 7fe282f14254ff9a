"""Analysis over several processes, for large backlogs (first runs, ``listener rescore``).

Chunks go to forked workers that share the parent's loaded pipeline, classifier and compiled
personas (copy-on-write) and come back in order; at most two chunks per worker are in flight, so
memory stays flat however long the input is. Results are plain dataclasses, cheap to pickle
(unlike spaCy Docs, which made ``nlp.pipe(n_process=2)`` slower than one process).
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Iterable, Iterator
from itertools import islice
from multiprocessing.pool import AsyncResult
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from listener.analysis.analyser import Analyser, Analysis

_worker: Analyser | None = None


def _run(chunk: list[str], prompts: list[str | None] | None) -> list[Analysis]:
    assert _worker is not None, "worker started without an analyser"
    return list(_worker.analyse_many(chunk, prompts, batch_size=max(1, len(chunk))))


def analyse_parallel(
    analyser: Analyser,
    texts: Iterable[str],
    prompts: Iterable[str | None] | None,
    n_process: int,
    chunk_size: int = 256,
) -> Iterator[Analysis]:
    """``analyser.analyse_many`` on ``n_process`` forked processes (one where fork is missing).

    Counters in ``analyser.extractor.stats`` are the parent's only: workers count their own.
    """
    if n_process <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        yield from analyser.analyse_many(texts, prompts, batch_size=chunk_size)
        return
    global _worker
    _worker = analyser
    iterator = iter(texts)
    asked = iter(prompts) if prompts is not None else None
    window: deque[AsyncResult[list[Analysis]]] = deque()
    with multiprocessing.get_context("fork").Pool(n_process) as pool:
        while True:
            while len(window) < 2 * n_process:
                chunk = list(islice(iterator, chunk_size))
                if not chunk:
                    break
                chunk_prompts = list(islice(asked, len(chunk))) if asked is not None else None
                window.append(pool.apply_async(_run, (chunk, chunk_prompts)))
            if not window:
                break
            yield from window.popleft().get()
    _worker = None
