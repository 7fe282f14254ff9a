"""Chunks analysed by forked workers: the same analyses, in order, with chunks read ahead."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from listener.analysis import Analyser
from listener.analysis.parallel import Chunk, analyse_chunks, can_fork

from .conftest import EXAMPLE

TEXTS = [
    "Chasing late payments from clients eats my whole week.",
    "I wish the app would send payment reminders automatically.",
    "Great product, nothing to add.",
    "Das ist ein deutscher Satz über Rechnungen, die niemand bezahlt.",
    "",
]


def chunks(read: list[int], n: int = 6) -> Iterator[Chunk]:
    for k in range(n):
        read.append(k)
        texts = [TEXTS[(k + i) % len(TEXTS)] + (f" (#{k})" if i else "") for i in range(3)]
        yield texts, [None, "What is the hardest part?", None]


@pytest.mark.skipif(not can_fork(), reason="forked workers need the fork start method")
def test_workers_give_the_process_s_analyses_in_order_and_read_ahead(
    invoicing: Analyser,
) -> None:
    alone = list(analyse_chunks(invoicing, chunks([]), 0))
    for workers in (1, 2):
        read: list[int] = []
        forked = analyse_chunks(invoicing, chunks(read), workers)
        first = next(forked)
        assert read == [0]  # the first chunk is read here, before any fork
        second = next(forked)
        assert read == list(range(1 + 2 * workers))  # then two chunks per worker in flight
        assert [first, second, *forked] == alone
    assert any(a.statements for chunk in alone for a in chunk)
    assert any(a.skipped for chunk in alone for a in chunk)


def test_without_workers_a_chunk_is_read_at_a_time(invoicing: Analyser) -> None:
    read: list[int] = []
    analyses = analyse_chunks(invoicing, chunks(read), 0)
    next(analyses)
    assert read == [0]
    assert len(list(analyses)) == 5


ENDLESS = """
import sys
from pathlib import Path
from listener.analysis import Analyser
from listener.analysis.parallel import analyse_chunks
from listener.matching import PersonaMatcher
from listener.nlp import Extractor
from listener.personas import load_personas

extractor = Extractor()
matcher = PersonaMatcher(load_personas(Path(sys.argv[1])), extractor.nlp)
chunks = iter(lambda: (["I hate chasing late invoices every Friday."] * 500, None), None)
for n, _ in enumerate(analyse_chunks(Analyser(extractor, matcher), chunks, 1)):
    if n == 2:
        print("working", flush=True)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signal: Linux")
def test_workers_end_with_a_parent_killed_outright() -> None:
    """kill -9 of the daemon must not leave a worker blocked on a full pipe for good."""
    parent = subprocess.Popen(
        [sys.executable, "-c", ENDLESS, str(EXAMPLE)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert parent.stdout is not None and parent.stdout.readline().strip() == "working"
        children = Path(f"/proc/{parent.pid}/task/{parent.pid}/children").read_text().split()
        assert children, "no worker was forked"
    finally:
        parent.kill()
        parent.wait()
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() for pid in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(Path(f"/proc/{pid}").exists() for pid in children)
