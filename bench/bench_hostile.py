"""A daemon among hostile feeds: does the one healthy feed keep its schedule, and memory stay low?

    .venv/bin/python bench/bench_hostile.py [--seconds 60] [--every 5] [--database URL]

Starts `listener run` as a real process for ``--seconds`` against loopback servers: two
trickling feeds (a byte every 0.2 s in the status line, and in the body), a redirect to the cloud
metadata address, a redirect loop, a 1 GiB gzip bomb, a body announced at 2 GB, an entity bomb,
broken XML and random bytes, plus one healthy feed (``every`` seconds, new posts each fetch).
Prints when the healthy feed was fetched (against its schedule), what the hostile sources
ended with, and the daemon's peak resident memory (VmHWM). Figures depend on the machine.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.connectors.loopback import LoopbackServer, RecordedRequest, Reply, redirect  # noqa: E402
from tests.listener.hardening.helpers import TrickleServer, rss, write_config  # noqa: E402

RSS_LIMIT_MB = 300


def _gzip_bomb(megabytes: int) -> bytes:
    squeeze = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = b" " * (1 << 20)
    parts = [squeeze.compress(b"<rss version='2.0'><channel>")]
    parts += [squeeze.compress(block) for _ in range(megabytes)]
    return b"".join([*parts, squeeze.flush()])


def _routes() -> dict[str, Any]:
    fetches = itertools.count()

    def healthy(_request: RecordedRequest) -> Reply:
        n = next(fetches)
        posts = [(f"h-{n}-{i}", f"Week {n}", f"Chasing late payment {n}.{i} eats my Friday.")
                 for i in range(3)]  # fmt: skip
        return Reply(body=rss(posts), conditional=False)

    entity_bomb = (REPO / "tests" / "connectors" / "feeds" / "entity-bomb.xml").read_bytes()
    return {
        "/healthy.xml": healthy,
        "/metadata.xml": redirect("http://169.254.169.254/latest/meta-data/", status=302),
        "/loop.xml": redirect("/loop.xml", status=302),
        "/bomb.xml": Reply(body=_gzip_bomb(1024), headers={"Content-Encoding": "gzip"}),
        "/huge.xml": Reply(body=b"<rss>", headers={"Content-Length": "2000000000"}),
        "/entities.xml": Reply(body=entity_bomb),
        "/broken.xml": Reply(body=b"<rss><channel><item><title>unclosed"),
        "/noise.xml": Reply(body=os.urandom(200_000)),
    }


def _sources(
    server: LoopbackServer, trickles: list[TrickleServer], every: int, hostile: bool
) -> list[Any]:
    def feed(name: str, url: str, **extra: Any) -> dict[str, Any]:
        return {"name": name, "type": "feed", "every": "30s", "urls": [url], "timeout": 5,
                "allow_private_networks": True, **extra}  # fmt: skip

    sources = [feed(f"trickle-{t.where}", t.url) for t in trickles] if hostile else []
    for path in ("metadata", "loop", "bomb", "huge", "entities", "broken", "noise"):
        sources += [feed(path, server.url(f"/{path}.xml"))] if hostile else []
    return [*sources, feed("healthy", server.url("/healthy.xml"), every=f"{every}s")]


def _memory_mb(pid: int, field: str = "VmHWM") -> float:
    """The process's peak (VmHWM) or current (VmRSS) resident memory."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--every", type=int, default=5, help="the healthy feed's interval (s)")
    parser.add_argument("--database", default=None, help="default: SQLite in a temp folder")
    parser.add_argument("--only-healthy", action="store_true", help="the baseline: no hostiles")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-hostile-"))
    trickles = [TrickleServer("headers", 0.2), TrickleServer("body", 0.2)]
    with LoopbackServer(_routes()) as server, trickles[0], trickles[1]:
        extra = {"database": args.database} if args.database else {}
        config = write_config(
            work, _sources(server, trickles, args.every, not args.only_healthy), **extra
        )
        log = work / "daemon.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "listener", "--log-json", "run", "-c", str(config)],
                stdout=out, stderr=subprocess.STDOUT, cwd=REPO,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )  # fmt: skip
            samples = []  # (seconds, current RSS): when the memory is used
            started = time.monotonic()
            while (elapsed := time.monotonic() - started) < args.seconds:
                samples.append((elapsed, _memory_mb(process.pid, "VmRSS")))
                time.sleep(0.25)
            peak = _memory_mb(process.pid)
            process.send_signal(signal.SIGTERM)
            code = process.wait(timeout=60)
    events = [json.loads(x) for x in log.read_text().splitlines() if x.startswith("{")]
    top = max(samples, key=lambda s: s[1])
    late = max(rss for t, rss in samples if t >= args.seconds / 2)
    print(f"resident memory: highest {top[1]:.0f} MB at {top[0]:.1f} s, "
          f"highest in the second half {late:.0f} MB")  # fmt: skip
    steps = range(10, int(args.seconds) + 1, 10)
    marks = [max((r for t, r in samples if t <= mark), default=0.0) for mark in steps]
    print("  by then (10 s steps): " + ", ".join(f"{m:.0f}" for m in marks) + " MB")
    return _report(events, args, peak, code)


def _report(events: list[dict[str, Any]], args: Any, peak: float, code: int) -> int:
    from datetime import datetime

    def at(event: dict[str, Any]) -> float:
        return datetime.fromisoformat(event["timestamp"]).timestamp()

    start = next(at(e) for e in events if e.get("event") == "listener started")
    healthy = [at(e) - start for e in events
               if e.get("event") == "source fetched" and e.get("source") == "healthy"]  # fmt: skip
    gaps = [b - a for a, b in itertools.pairwise(healthy)]
    # APScheduler adds up to 1 s of jitter to each run, counted from the last (jittered) one.
    expected = int(args.seconds // (args.every + 1))
    print(f"daemon ran {args.seconds:.0f} s, exit code {code}")
    print(f"healthy feed (every {args.every} s): {len(healthy)} fetches, "
          f"first at {healthy[0]:.1f} s" if healthy else "healthy feed: never fetched")  # fmt: skip
    if gaps:
        print(f"  gaps between fetches: median {sorted(gaps)[len(gaps) // 2]:.1f} s, "
              f"max {max(gaps):.1f} s (schedule {args.every} s + up to 1 s jitter)")  # fmt: skip
    outcomes: dict[str, str] = {}
    for e in events:
        source = e.get("source")
        if source and source != "healthy" and e.get("event") in ("source failed", "source fetched",
                                                                  "source skipped"):  # fmt: skip
            outcomes[source] = f"{e['event']}: {str(e.get('error') or e.get('reason') or '')[:110]}"
    for source, outcome in sorted(outcomes.items()):
        print(f"  {source:16} {outcome}")
    print(f"peak RSS of the daemon: {peak:.0f} MB (limit {RSS_LIMIT_MB} MB)")
    on_time = bool(gaps) and max(gaps) <= args.every + 1.5
    ok = len(healthy) >= expected and on_time and peak < RSS_LIMIT_MB and code == 0
    print("PASS" if ok else f"FAIL (wanted >= {expected} healthy fetches, gaps <= every + 1.5 s)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
