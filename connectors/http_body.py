"""Bounded decompression of HTTP bodies: never more than the caller's budget in memory.

httpx would inflate each network chunk whole (64 KB of a gzip bomb is 64 MB), so ``HttpClient``
reads the raw stream and asks zlib for at most the remaining budget at a time.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import Any

from connectors.base import ConnectorError

PIECE = 1 << 20
"""Bytes inflated per step: a bomb costs the cap plus one piece, not twice the cap."""


class Inflater:
    """Content-Encoding gzip/deflate/identity, inflated at most ``budget`` bytes per call."""

    def __init__(self, encoding: str, shown: str) -> None:
        self._shown = shown
        self._raw_deflate_tried = False
        if encoding in ("", "identity"):
            self._zlib: Any = None
        elif encoding in ("gzip", "x-gzip"):
            self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self._zlib = zlib.decompressobj()
        else:
            raise ConnectorError(
                f"{shown} answered with an unsupported Content-Encoding {encoding[:40]!r}",
                hint="the server ignored our Accept-Encoding; report it to the site owner",
            )

    def feed(self, data: bytes, budget: int) -> Iterator[bytes]:
        if self._zlib is None:
            yield data
            return
        while data:
            try:
                out = self._zlib.decompress(data, max(1, min(budget, PIECE)))
            except zlib.error:
                if self._raw_deflate_tried or self._zlib.eof:
                    raise ConnectorError(
                        f"{self._shown} sent a body that could not be decompressed",
                        hint="the server's Content-Encoding is broken; report it to the site owner",
                    ) from None
                self._raw_deflate_tried = True  # some servers send deflate without zlib header
                self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
                continue
            self._raw_deflate_tried = True
            budget -= len(out)
            if out:
                yield out
            if self._zlib.eof:
                rest = self._zlib.unused_data
                if not rest:
                    return
                self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)  # concatenated gzip members
                data = rest
            else:
                data = self._zlib.unconsumed_tail
