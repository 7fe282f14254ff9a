"""Start-up time of `listener --help` and `listener status`, against `python -c pass`.

    .venv/bin/python bench/bench_cli.py [-c config/listener.example.yaml] [--runs 9]

Run `listener run --once -c CONFIG` first so that `status` has a database to read. Each command
is started ``--runs`` times, interleaved with the bare interpreter so that all three see the
same load; the medians of wall and CPU time (user + system of the child) are printed with their
ratio to the bare interpreter. Also checks, with ``python -X importtime``, that neither command
imports spaCy, and names the slowest top-level imports of `status`.

Targets (issue 12): `--help` under 0.3 s and `status` under 0.6 s of wall time on a quiet
machine. On a shared machine compare the CPU columns and the ratios: they move less with load.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGETS = {"--help": 0.3, "status": 0.6}
_IMPORT = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)$")


ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
"""Children may write .pyc files (the warm-up run does): a user's install has them, and without
them every start compiles SQLAlchemy, pydantic and the rest from source (+0.5 s)."""


def _listener() -> list[str]:
    return [sys.executable, "-m", "listener"]


def _timed(argv: list[str], cwd: Path) -> tuple[float, float]:
    """(wall, CPU) seconds of one run; fails loudly if the command fails."""
    before = os.times()
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=ENV, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = os.times()
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    cpu = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    return wall, cpu


def _imports(argv: list[str], cwd: Path) -> list[tuple[int, str]]:
    """(cumulative µs, module) of every import the command makes."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *argv[1:]],
        cwd=cwd,
        env=ENV,
        capture_output=True,
        text=True,
        check=False,
    )
    out: list[tuple[int, str]] = []
    for line in done.stderr.splitlines():
        match = _IMPORT.match(line)
        if match:
            out.append((int(match.group(2)), match.group(3)[1:] + match.group(4)))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-c", "--config", type=Path, default=ROOT / "config/listener.example.yaml")
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    config = args.config.resolve()
    cwd = config.parent
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "--help": [*_listener(), "--help"],
        "status": [*_listener(), "status", "-c", str(config)],
    }
    for argv in commands.values():  # warm the page cache and .pyc files once
        _timed(argv, cwd)
    walls: dict[str, list[float]] = {name: [] for name in commands}
    cpus: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.runs):
        for name, argv in commands.items():
            wall, cpu = _timed(argv, cwd)
            walls[name].append(wall)
            cpus[name].append(cpu)
    load = os.getloadavg()
    cpus_n = os.cpu_count()
    print(f"{args.runs} runs each, interleaved; load average {load[0]:.2f} on {cpus_n} CPUs")
    base_wall = statistics.median(walls["python -c pass"])
    base_cpu = statistics.median(cpus["python -c pass"])
    print(f"{'command':<16} {'wall s':>8} {'× pass':>7} {'CPU s':>8} {'× pass':>7}  target")
    failed = False
    for name in commands:
        wall, cpu = statistics.median(walls[name]), statistics.median(cpus[name])
        target = TARGETS.get(name)
        verdict = ""
        if target is not None:
            verdict = f"< {target} s " + ("ok" if wall < target else "MISSED")
        print(
            f"{name:<16} {wall:8.3f} {wall / base_wall:7.1f} {cpu:8.3f} {cpu / base_cpu:7.1f}  "
            f"{verdict}"
        )
    for name in ("--help", "status"):
        found = _imports(commands[name], cwd)
        heavy = sorted(((us, m) for us, m in found if not m.startswith(" ")), reverse=True)[:5]
        spacy = any(m.strip() == "spacy" for _, m in found)
        failed |= spacy
        print(
            f"{name}: imports spaCy: {'YES' if spacy else 'no'}; slowest top-level imports: "
            + ", ".join(f"{m.strip()} {us / 1e6:.2f} s" for us, m in heavy)
        )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
