"""Steady-state CPU and memory of the daemon polling 20 unchanged feeds every 10 seconds.

    .venv/bin/python bench/bench_daemon_cpu.py [--seconds 120] [--feeds 20] [--every 10]
        [--warmup 60] [--baseline-seconds 90] [--database URL]

The feeds are served by a loopback HTTP server (keep-alive, ETag): the first poll of each gets
the feed, every later one a 304, as most polls of a real feed do. The daemon (`listener run`,
a real process, SQLite in a temp folder unless ``--database``) runs ``--seconds``; its CPU time
(utime + stime from /proc) and resident memory are sampled every 5 s. The first ``--warmup`` (60)
seconds (imports, the NLP loading for the first items) are left out of the steady state. Then,
in the same run, the same daemon with one feed every hour for ``--baseline-seconds``: what the
scheduler and the process cost doing nothing, for the ratio.

Issue 12's target: under 3 % of one core in steady state, with flat memory.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.connectors.loopback import LoopbackServer, Reply  # noqa: E402
from tests.listener.hardening.helpers import write_config  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")
TARGET_PERCENT = 3.0


def _feed(n: int) -> bytes:
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Feed {n}</title>'
        f"<item><guid>feed-{n}-1</guid><title>Invoices</title>"
        f"<description>Chasing late payments eats my Friday, says reader {n}.</description>"
        f"<pubDate>Mon, 16 Nov 2026 10:00:00 GMT</pubDate></item></channel></rss>"
    ).encode()


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _run_daemon(
    sources: list[dict[str, Any]],
    seconds: float,
    database: str | None,
    code: Path,
    requests: Callable[[], int],
) -> list[tuple[float, float, float, int]]:
    """(elapsed s, CPU s, RSS MB, requests served so far) samples of a daemon run with these
    sources, on the code in the folder ``code``."""
    work = Path(tempfile.mkdtemp(prefix="bench-daemon-cpu-"))
    extra = {"database": database} if database else {}
    config = write_config(work, sources, **extra)
    samples: list[tuple[float, float, float, int]] = []
    with (work / "daemon.log").open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "listener", "--log-json", "run", "-c", str(config)],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=code,  # `python -m` imports the listener of this folder
        )
        started = time.monotonic()
        while True:
            elapsed = time.monotonic() - started
            samples.append((elapsed, _cpu_seconds(process.pid), _rss_mb(process.pid), requests()))
            if elapsed >= seconds:
                break
            time.sleep(min(5.0, seconds - elapsed))
        process.send_signal(signal.SIGTERM)
        status = process.wait(timeout=60)
    if status != 0:
        raise SystemExit(f"the daemon exited with {status}; see {work / 'daemon.log'}")
    return samples


def _steady(
    samples: list[tuple[float, float, float, int]], warmup: float
) -> tuple[float, float, float, float]:
    """(% of a core, RSS at the start of the steady state, RSS at the end, requests/s)."""
    steady = [s for s in samples if s[0] >= warmup] or samples[-2:]
    (t0, cpu0, rss0, n0), (t1, cpu1, rss1, n1) = steady[0], steady[-1]
    span = max(t1 - t0, 1e-9)
    return 100.0 * (cpu1 - cpu0) / span, rss0, rss1, (n1 - n0) / span


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--feeds", type=int, default=20)
    parser.add_argument("--every", type=int, default=10)
    parser.add_argument("--warmup", type=float, default=60.0)
    parser.add_argument("--baseline-seconds", type=float, default=90.0)
    parser.add_argument("--database", default=None, help="default: SQLite in a temp folder")
    parser.add_argument(
        "--code", type=Path, default=REPO, help="run the listener of another checkout (a baseline)"
    )
    args = parser.parse_args()
    routes = {
        f"/feed-{n}.xml": Reply(body=_feed(n), headers={"ETag": f'"feed-{n}-v1"'})
        for n in range(args.feeds)
    }
    with LoopbackServer(routes) as server:

        def feed(name: str, path: str, every: str) -> dict[str, Any]:
            return {
                "name": name,
                "type": "feed",
                "every": every,
                "urls": [server.url(path)],
                "allow_private_networks": True,
            }

        polling = [feed(f"feed-{n}", f"/feed-{n}.xml", f"{args.every}s") for n in range(args.feeds)]
        load_before = os.getloadavg()[0]

        def served() -> int:
            return len(server.requests)

        samples = _run_daemon(polling, args.seconds, args.database, args.code, served)
        polls = served()
        baseline = _run_daemon(
            [feed("idle", "/feed-0.xml", "1h")],
            args.baseline_seconds,
            args.database,
            args.code,
            served,
        )
        load_after = os.getloadavg()[0]
    percent, rss0, rss1, rate = _steady(samples, args.warmup)
    idle, _, _, _ = _steady(baseline, min(args.warmup, args.baseline_seconds / 2))
    print(
        f"load average {load_before:.2f} before, {load_after:.2f} after, on {os.cpu_count()} CPUs"
    )
    print(
        f"{args.feeds} feeds every {args.every} s for {args.seconds:.0f} s: {polls} requests "
        f"({polls / args.seconds:.1f}/s)"
    )
    print(f"code: {args.code}")
    print(
        f"steady state (after {args.warmup:.0f} s, {rate:.2f} requests/s): {percent:.2f} % of a "
        f"core, {10 * percent / max(rate, 1e-9):.1f} ms CPU per poll; idle daemon (one feed an "
        f"hour): {idle:.2f} %"
    )
    print(f"resident memory: {rss0:.0f} MB at {args.warmup:.0f} s, {rss1:.0f} MB at the end")
    print(
        "  samples (s: CPU s, MB): "
        + ", ".join(f"{t:.0f}: {c:.1f}, {r:.0f}" for t, c, r, _ in samples)
    )
    flat = rss1 - rss0 <= max(5.0, 0.05 * rss0)
    ok = percent < TARGET_PERCENT and flat
    print(("PASS" if ok else "FAIL") + f" (target < {TARGET_PERCENT} % of a core, flat memory)")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
