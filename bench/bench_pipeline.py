"""End-to-end throughput of `listener run --once` on a plain survey export, from empty.

    .venv/bin/python bench/bench_pipeline.py [--rows 10000,100000]
        [--postgres-url postgresql+psycopg://postgres@127.0.0.1:5432/test]
        [--baseline /path/to/another/checkout] [--nlp-workers 0,1,2]

For each row count it writes a CSV export (one free-text answer per row: synthetic, varied
sentences of pains, wishes and plain remarks, spread over six weeks) and runs `run --once` in a
fresh process, on a fresh SQLite file and, with ``--postgres-url``, on a freshly created
PostgreSQL database (no table statistics, as after a first install; dropped afterwards). The
child process times the phases by wrapping the functions the run goes through:

- fetch+ingest: reading the export and storing the batches (``runner.run_source``);
- writes: the pending-item queries (``next_pending``) and the statement, evidence and claim
  writes (``Processor._write``);
- counts: the rebuild of the complete weeks' kept counts after processing (``rollup.rebuild``);
- NLP: the rest of ``Processor.process_pending``, i.e. extraction and persona matching, or,
  with forked NLP workers, the time spent waiting for them;
- other: migrations, loading the NLP, drift and the digest;
- start-up: the rest of the child's wall time (interpreter, imports before the command runs).

It prints items/s (rows over the child's wall time, start-up included), the phase shares, peak
RSS, the PostgreSQL/SQLite ratio and the 100k/10k ratio of seconds per item (1.0 = linear).
With ``--baseline`` the same runs are made with that checkout's code (e.g. ``git archive main``
unpacked somewhere), in the same invocation, and its figures are printed beside. With
``--nlp-workers 0,1,2`` this checkout runs once per ``nlp.workers`` value (labels w0, w1, w2), so
the forked workers are measured against the NLP in the process in the same run.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PERSONAS = ROOT / "config" / "personas.example.yaml"
QUESTION = "What is the hardest part of your week?"

_OPENERS = [
    "Honestly,",
    "To be fair,",
    "Every month",
    "Most weeks",
    "Since we grew,",
    "As a small team,",
    "",
    "",
    "",
]
_PAINS = [
    "chasing late payments eats my {day}",
    "reconciling the bank for {n} accounts takes most of {day}",
    "doing the VAT return every quarter is a nightmare",
    "I spend hours copying invoices into the spreadsheet",
    "the mobile app crashes when I upload {thing}",
    "exporting {thing} to our accountant never works first time",
    "payroll for {n} people still needs manual fixes",
    "I cannot find where the {thing} went after the update",
    "matching receipts to transactions is slow and error-prone",
    "the bank feed stops syncing every few days",
    "our clients pay late and I have to remind them by hand",
    "it takes too long to approve {thing} when I am on the road",
]
_WISHES = [
    "I wish it could send reminders for overdue invoices automatically",
    "it would be great to snap {thing} with my phone",
    "please add a way to split one payment over {n} invoices",
    "I would love a dashboard of cash flow for the next {n} weeks",
    "let me approve {thing} from my phone",
    "it should fill in the VAT return from what is already in there",
    "a single sign-on with our Google accounts would help",
]
_REMARKS = [
    "the support team answered within an hour",
    "we switched from spreadsheets last year",
    "mostly it just works",
    "my accountant likes the reports",
    "nothing much, happy customer",
    "we use it for {n} companies now",
]
_THINGS = ["receipts", "expense reports", "purchase orders", "credit notes", "timesheets", "bills"]
_DAYS = ["Friday", "Monday", "Tuesday afternoon", "month end", "the weekend"]
_SIZES = ["1-10", "11-50", "51-200", "201-500"]


def answer(rng: random.Random) -> str:
    """One to three sentences, mostly a pain or a wish, sometimes only a remark."""
    parts = []
    for _ in range(rng.choice((1, 1, 2, 2, 3))):
        pool = rng.choice((_PAINS, _PAINS, _WISHES, _REMARKS))
        clause = rng.choice(pool).format(
            day=rng.choice(_DAYS), n=rng.randint(2, 40), thing=rng.choice(_THINGS)
        )
        opener = rng.choice(_OPENERS)
        sentence = f"{opener} {clause}".strip()
        parts.append(sentence[0].upper() + sentence[1:] + rng.choice((".", ".", "!", "...")))
    return " ".join(parts)


def write_export(path: Path, rows: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    end = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
    span = int(timedelta(weeks=6).total_seconds())
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Response ID", "Submitted At", QUESTION, "Company size"])
        for n in range(rows):
            at = end - timedelta(seconds=rng.randrange(span))
            writer.writerow(
                [f"r{n:08d}", at.strftime("%Y-%m-%d %H:%M:%S"), answer(rng), rng.choice(_SIZES)]
            )


def write_config(folder: Path, export: Path, database: str, workers: int | None = None) -> Path:
    config = folder / "listener.yaml"
    source = {
        "name": "survey",
        "type": "survey_file",
        "every": "1h",
        "path": str(export),
        "format": "plain",
        "text_columns": [QUESTION],
        "id_column": "Response ID",
        "time_column": "Submitted At",
        "segment_columns": {"Company size": "company_size"},
        "settle_seconds": 0,
    }
    document = {
        "database": database,
        "data_dir": str(folder / "data"),
        "timezone": "UTC",
        "personas": str(PERSONAS),
        "sources": [source],
        "digest": {"schedule": "mon 08:00", "recipients": ["m@example.com"], "outbox": "outbox"},
    }
    if workers is not None:  # left out by default: a baseline checkout may not know the key
        document["nlp"] = {"workers": workers}
    config.write_text(json.dumps(document, indent=1), encoding="utf-8")  # JSON is YAML
    return config


@dataclass
class Result:
    label: str
    database: str
    rows: int
    wall: float
    phases: dict[str, float]
    peak_rss_mb: float
    summary: str

    @property
    def rate(self) -> float:
        return self.rows / self.wall

    @property
    def work(self) -> float:
        """Seconds in the phases that grow with the rows (start-up, drift, digest left out)."""
        return sum(v for k, v in self.phases.items() if k != "other")


def run_child(tree: Path, config: Path, label: str, database: str, rows: int) -> Result:
    out = config.parent / "phases.json"
    # PostgreSQL needs the author key from the environment (SQLite would generate one)
    env = {**os.environ, "PYTHONHASHSEED": "0", "LISTENER_AUTHOR_KEY": "bench-" + "k" * 32}
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, __file__, "_child", str(tree), str(config), str(out)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    wall = time.perf_counter() - start
    if proc.returncode not in (0, 1) or not out.exists():
        sys.exit(
            f"{label} {database} {rows}: run failed ({proc.returncode}):\n{proc.stderr[-3000:]}"
        )
    report = json.loads(out.read_text())
    return Result(
        label, database, rows, wall, report["phases"], report["peak_rss_mb"], proc.stdout.strip()
    )


def child(tree: str, config: str, out: str) -> None:
    """Inside the measured process: time the phases, run `run --once`, report."""
    import resource

    sys.path.insert(0, tree)
    import listener.processing as processing
    import listener.service as service
    from listener.cli import main

    assert Path(processing.__file__).is_relative_to(tree), processing.__file__
    phases = {"fetch+ingest": 0.0, "writes": 0.0, "process": 0.0, "counts": 0.0}

    def timed(owner: object, name: str, phase: str) -> None:
        original = getattr(owner, name)

        def wrapper(*args: object, **kwargs: object) -> object:
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                phases[phase] += time.perf_counter() - start

        setattr(owner, name, wrapper)

    timed(service, "run_source", "fetch+ingest")
    timed(processing, "next_pending", "writes")
    timed(processing.Processor, "_write", "writes")
    timed(processing.Processor, "process_pending", "process")
    try:
        import listener.store.rollup as rollup
    except ImportError:  # a baseline checkout from before the kept weekly counts
        pass
    else:
        timed(rollup, "rebuild", "counts")
    start = time.perf_counter()
    try:
        main(["--log-level", "warning", "run", "--once", "-c", config])
    except SystemExit as exit_:
        code = exit_.code
    else:
        code = 0
    total = time.perf_counter() - start
    process = phases.pop("process")
    report = {
        "phases": {
            "fetch+ingest": phases["fetch+ingest"],
            "nlp": process - phases["writes"],
            "writes": phases["writes"],
            "counts": phases["counts"],
            "other": total - phases["fetch+ingest"] - process - phases["counts"],
        },
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    Path(out).write_text(json.dumps(report))
    sys.exit(code if isinstance(code, int) else 1)


def postgres_database(admin_url: str) -> tuple[str, str]:
    """A new, empty database next to ``admin_url``'s: (its URL, its name)."""
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(admin_url)
    name = f"listener_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(_libpq(admin_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return url.set(database=name).render_as_string(hide_password=False), name


def drop_postgres(admin_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(_libpq(admin_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _libpq(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def measure(
    label: str,
    tree: Path,
    rows: int,
    export: Path,
    postgres_url: str | None,
    workers: int | None = None,
) -> list[Result]:
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-pipeline-") as tmp:
        folder = Path(tmp) / "sqlite"
        folder.mkdir()
        config = write_config(folder, export, f"sqlite:///{folder / 'listener.db'}", workers)
        results.append(run_child(tree, config, label, "sqlite", rows))
        print_result(results[-1])
        if postgres_url:
            url, name = postgres_database(postgres_url)
            try:
                folder = Path(tmp) / "postgres"
                folder.mkdir()
                config = write_config(folder, export, url, workers)
                results.append(run_child(tree, config, label, "postgresql", rows))
                print_result(results[-1])
            finally:
                drop_postgres(postgres_url, name)
    return results


def print_result(r: Result) -> None:
    phases = {**r.phases, "start-up": r.wall - sum(r.phases.values())}
    shares = "  ".join(f"{k} {100 * v / r.wall:4.1f}%" for k, v in phases.items())
    print(
        f"{r.label:9} {r.database:10} {r.rows:>7} rows  {r.wall:7.1f} s  {r.rate:7.0f} items/s"
        f"  peak RSS {r.peak_rss_mb:5.0f} MB  |  {shares}",
        flush=True,
    )


def ratios(results: list[Result], rows: list[int]) -> None:
    by = {(r.label, r.database, r.rows): r for r in results}
    for label in dict.fromkeys(r.label for r in results):
        for n in rows:
            lite, pg = by.get((label, "sqlite", n)), by.get((label, "postgresql", n))
            if lite and pg:
                print(f"{label}: PostgreSQL/SQLite items/s at {n} rows: {pg.rate / lite.rate:.2f}")
        if len(rows) > 1:
            small, big = min(rows), max(rows)
            for database in ("sqlite", "postgresql"):
                a, b = by.get((label, database, small)), by.get((label, database, big))
                if a and b:
                    per_item = (b.wall / b.rows) / (a.wall / a.rows)
                    work = (b.work / b.rows) / (a.work / a.rows)
                    print(
                        f"{label}: {database} seconds per item {big}/{small}: {per_item:.2f}"
                        f" end to end, {work:.2f} in fetch+ingest+NLP+writes (1.00 = linear);"
                        f" peak RSS {a.peak_rss_mb:.0f} → {b.peak_rss_mb:.0f} MB"
                    )
    labels = list(dict.fromkeys(r.label for r in results))
    reference = "baseline" if "baseline" in labels else labels[0]
    for r in results:
        base = by.get((reference, r.database, r.rows))
        if r.label != reference and base:
            ratio = r.rate / base.rate
            print(f"{r.label}/{reference} items/s, {r.database} {r.rows} rows: {ratio:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="10000,100000", help="comma-separated row counts")
    parser.add_argument("--postgres-url", help="a server where databases may be created")
    parser.add_argument("--baseline", type=Path, default=None, help="another checkout to compare")
    parser.add_argument(
        "--nlp-workers", default=None, help="comma-separated nlp.workers values to compare"
    )
    args = parser.parse_args()
    settings = [int(n) for n in args.nlp_workers.split(",")] if args.nlp_workers else [None]
    rows = [int(n) for n in args.rows.split(",")]
    print(f"load average at start: {os.getloadavg()}  cores: {os.cpu_count()}", flush=True)
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="bench-exports-") as tmp:
        for n in rows:
            export = Path(tmp) / f"export-{n}.csv"
            write_export(export, n)
            for workers in settings:
                label = "this" if workers is None else f"w{workers}"
                results += measure(label, ROOT, n, export, args.postgres_url, workers)
            if args.baseline is not None:
                results += measure(
                    "baseline", args.baseline.resolve(), n, export, args.postgres_url
                )
    ratios(results, rows)
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_child":
        child(*sys.argv[2:5])
    else:
        main()
