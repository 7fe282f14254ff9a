"""Analysis over several processes, for large backlogs (first runs, ``listener rescore``).

Chunks go to forked workers that share the parent's loaded pipeline, classifier and compiled
personas (copy-on-write) and come back in order; at most two chunks per worker are in flight, so
memory stays flat however long the input is, and the parent is free meanwhile (the processing
writes one chunk's results while the workers read the next ones). Results are plain
dataclasses, cheap to pickle (unlike spaCy Docs, which made ``nlp.pipe(n_process=2)`` slower
than one process).
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from itertools import islice
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from listener.analysis.analyser import Analyser, Analysis

Chunk = tuple[list[str], list[str | None] | None]
"""Texts and their prompts (None: no prompts)."""

_worker: Analyser | None = None


def can_fork() -> bool:
    """Workers share the loaded pipeline only when forked (Linux; not Windows, not macOS's
    default): elsewhere the analysis stays in the calling process."""
    return "fork" in multiprocessing.get_all_start_methods()


def _run(texts: list[str], prompts: list[str | None] | None) -> list[Analysis]:
    assert _worker is not None, "worker started without an analyser"
    return list(_worker.analyse_many(texts, prompts, batch_size=max(1, len(texts))))


def analyse_chunks(
    analyser: Analyser, chunks: Iterable[Chunk], workers: int
) -> Iterator[list[Analysis]]:
    """Each chunk's analyses, in order, from ``workers`` forked processes (in this process when
    ``workers`` is 0 or fork is missing, and for the first chunk). ``chunks`` is read ahead by
    up to twice ``workers`` chunks, in this process, between the chunks it yields: with one
    worker this process reads and writes while the worker analyses.

    Counters in ``analyser.extractor.stats`` are the parent's only: workers count their own.
    """
    forked = workers > 0 and can_fork()
    pending = iter(chunks)
    # The first chunk is read here in any case: what the analyser builds on first use is built
    # once, in the parent, before any fork (and an input of one chunk forks nothing).
    for texts, prompts in islice(pending, 1 if forked else None):
        yield list(analyser.analyse_many(texts, prompts, batch_size=max(1, len(texts))))
    if not forked:
        return
    global _worker
    _worker = analyser
    window: deque[Future[list[Analysis]]] = deque()
    context = multiprocessing.get_context("fork")
    # ProcessPoolExecutor, not Pool: a worker that dies (the OOM killer, a signal) fails the
    # chunks in its hands with BrokenProcessPool instead of leaving the caller waiting forever
    pool = ProcessPoolExecutor(
        workers, mp_context=context, initializer=_start_worker, initargs=(os.getpid(),)
    )
    try:
        while True:
            while len(window) < 2 * workers:
                chunk = next(pending, None)
                if chunk is None:
                    break
                window.append(pool.submit(_run, *chunk))
            if not window:
                break
            yield window.popleft().result()
    finally:
        # on a stop or an error: chunks not started are dropped, the ones in hand finish
        pool.shutdown(wait=True, cancel_futures=True)
        _worker = None


def _start_worker(parent: int) -> None:
    """Stopping is the parent's. A Ctrl-C (sent to the terminal's whole process group) or a
    service manager's SIGTERM to every process of the unit reaches the workers too, with the
    daemon's own handlers copied in by the fork: they ignore both, and the parent ends them
    after the chunk in hand. A parent killed outright takes them along (Linux: the kernel sends
    SIGKILL), instead of leaving them blocked on a full pipe for good."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # it died before the line above took effect
        os._exit(1)


_PR_SET_PDEATHSIG = 1
"""prctl(2): the signal this process gets when the thread that forked it ends."""


def analyse_parallel(
    analyser: Analyser,
    texts: Iterable[str],
    prompts: Iterable[str | None] | None,
    n_process: int,
    chunk_size: int = 256,
) -> Iterator[Analysis]:
    """``analyser.analyse_many`` on ``n_process`` forked processes, text by text (one process:
    this one, as in spaCy's ``n_process``)."""
    iterator = iter(texts)
    asked = iter(prompts) if prompts is not None else None

    def chunks() -> Iterator[Chunk]:
        while chunk := list(islice(iterator, chunk_size)):
            yield chunk, (list(islice(asked, len(chunk))) if asked is not None else None)

    for analyses in analyse_chunks(analyser, chunks(), n_process if n_process > 1 else 0):
        yield from analyses
