"""Read paths at scale: `report`, `status`, `alerts` and the digest on millions of evidence rows.

    .venv/bin/python bench/bench_reports.py [--rows 1000000,10000000] \
        [--postgres-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres] [--keep]

For each size, a fresh PostgreSQL database is filled by COPY with synthetic data shaped like the
daemon's: 52 ISO weeks × 30 persona attributes (5 personas, 3 pains and 3 aspirations each) ×
5 segments, over 5 sources; one item per 5 evidence rows, one statement per 2 (each statement
is evidence for two attributes); one attribute rises in the last weeks so that the alerts have
something to find. The last week is the current one, which every path counts live (the kept
weekly counts cover complete weeks only). The indexes are built after the load and the tables
analysed and vacuumed, as autovacuum leaves a table that has stopped growing; then the weekly
counts of the complete weeks are built, as processing builds them when each week ends (timed
and printed). Then each read path runs as the commands run it (``--runs`` times, the median
is printed; the alerts' evaluation of a week runs once, as in the daemon), beside a bare
``SELECT count(*)`` of the evidence in the digest's window measured in the same run. "db s"
is the time spent in the database driver's execute calls.

Issue 12's targets: each under 1 s of database time at 10 M, growing sublinearly from 1 M.
Needs about 1.3 GB of disk per million rows while it runs (check ``df -h``); each database is
dropped at the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import event
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from listener.config import Config, load_config
from listener.store import rollup
from listener.store.db import Store
from listener.weeks import iso_week, week_start, weeks_ending

WEEKS = 52
PERSONAS = 5
PER_KIND = 3
SOURCES = 5
SEGMENTS = [
    json.dumps({"company_size": size}) for size in ("1-10", "11-50", "51-200", "201-1000", "1000+")
]
DB_NAME = "listener_bench_reports"
EVIDENCE_PER_STATEMENT = 2
STATEMENTS_PER_ITEM = 2.5
CHUNK = 200_000
AUTHORS = 300
"""Distinct authors (60 per source), the same at every size: the drift tests' Python work grows
with the distinct-author counts of a cell, so this keeps it from swamping what is measured here,
the database's work, which grows with the rows."""


def _attributes() -> list[tuple[str, str, str]]:
    """(persona, attribute, kind) × 30."""
    return [
        (f"p{p}", f"{kind[0]}{a}", kind)
        for p in range(PERSONAS)
        for kind in ("pain", "aspiration")
        for a in range(PER_KIND)
    ]


def _write_config(folder: Path, url: str) -> Path:
    personas = {
        "personas": [
            {
                "id": f"p{p}",
                "name": f"Persona {p}",
                "segment": {"company_size": "1-10"},
                "profile": {"demographics": "synthetic"},
                "pains": [
                    {"id": f"p{a}", "label": f"Pain {p}.{a}", "phrases": [f"pain word {p} {a}"]}
                    for a in range(PER_KIND)
                ],
                "aspirations": [
                    {"id": f"a{a}", "label": f"Wish {p}.{a}", "phrases": [f"wish word {p} {a}"]}
                    for a in range(PER_KIND)
                ],
            }
            for p in range(PERSONAS)
        ]
    }
    (folder / "personas.yaml").write_text(json.dumps(personas), encoding="utf-8")
    (folder / "feed.xml").write_text("<rss version='2.0'><channel></channel></rss>")
    service = {
        "database": url,
        "data_dir": str(folder),
        "timezone": "UTC",
        "personas": "personas.yaml",
        "sources": [
            {"name": f"source-{s}", "type": "feed", "every": "1h", "urls": ["feed.xml"]}
            for s in range(SOURCES)
        ],
        "digest": {"schedule": "mon 08:00", "outbox": str(folder / "outbox")},
    }
    path = folder / "listener.yaml"
    path.write_text(json.dumps(service), encoding="utf-8")
    return path


def _blocks(rows: Iterator[str]) -> Iterator[bytes]:
    buffer: list[str] = []
    for row in rows:
        buffer.append(row)
        if len(buffer) >= CHUNK:
            yield "".join(buffer).encode()
            buffer.clear()
    if buffer:
        yield "".join(buffer).encode()


class Shape:
    """Which week, item and statement each evidence row belongs to: all rows from arithmetic."""

    def __init__(self, evidence: int, weeks: list[str], processed_key: str) -> None:
        self.evidence = evidence
        self.statements = evidence // EVIDENCE_PER_STATEMENT
        self.items = max(1, int(self.statements / STATEMENTS_PER_ITEM))
        self.weeks = weeks
        self.key = processed_key
        self.mondays = [datetime.combine(week_start(w), datetime.min.time(), UTC) for w in weeks]

    def item_week(self, item: int) -> int:
        return item * len(self.weeks) // self.items

    def statement_item(self, statement: int) -> int:
        return statement * self.items // self.statements

    def items_rows(self) -> Iterator[str]:
        fetched = datetime.now(UTC).isoformat()
        for i in range(self.items):
            week = self.item_week(i)
            created = (self.mondays[week] + timedelta(seconds=(i * 7919) % 604_800)).isoformat()
            segment = SEGMENTS[(i // SOURCES) % len(SEGMENTS)]
            yield (
                f"{i + 1}\t{i % SOURCES + 1}\tid-{i}\tpost\thttps://example.com/{i}\ta{i % AUTHORS}"
                f"\tItem {i}\tSomething hurts in item {i}.\t{created}\t{fetched}\t{segment}"
                f"\th{i}\t{self.key}\n"
            )

    def statements_rows(self) -> Iterator[str]:
        for s in range(self.statements):
            item = self.statement_item(s)
            week = self.weeks[self.item_week(item)]
            matched = "f" if s % 10 == 0 else "t"
            yield (
                f"{s + 1}\t{item + 1}\t{item % SOURCES + 1}\ta{item % AUTHORS}\tpain"
                f"\tStatement {s} of item {item}: this part of the week hurts.\t0\t40"
                f"\ttheme {s % 300}\t{week}\t{matched}\n"
            )

    def evidence_rows(self) -> Iterator[str]:
        attributes = _attributes()
        rng = random.Random(12)
        rising = len(self.weeks) - 4  # attribute 0 doubles in the last three complete weeks
        for e in range(self.evidence):
            s = e // EVIDENCE_PER_STATEMENT
            item = self.statement_item(min(s, self.statements - 1))
            week_index = self.item_week(item)
            first = (s * 7) % len(attributes)
            if week_index >= rising and s % 8 == 0:
                first = 0
            index = first if e % 2 == 0 else (first + 1 + s % 29) % len(attributes)
            persona, attribute, kind = attributes[index]
            segment = SEGMENTS[(item // SOURCES) % len(SEGMENTS)]
            yield (
                f"{e + 1}\t{min(s, self.statements - 1) + 1}\t{item + 1}\t{item % SOURCES + 1}"
                f"\ta{item % AUTHORS}\t{persona}\t{attribute}\t{kind}\t{rng.random():.4f}\tv1"
                f"\t{self.weeks[week_index]}\t{segment}\n"
            )


def _load(url: str, shape: Shape) -> float:
    """COPY the rows in with secondary indexes and constraints dropped, then rebuild them."""
    start = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        tables = ("items", "statements", "evidence")
        constraints = conn.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE contype IN ('u', 'f') AND conrelid::regclass::text = ANY(%s)",
            [list(tables)],
        ).fetchall()
        for table, name, _ in constraints:
            conn.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        indexes = conn.execute(
            "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x"
            " JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid"
            " WHERE t.relname = ANY(%s)"
            " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)",
            [list(tables)],
        ).fetchall()
        for name, _ in indexes:
            conn.execute(f'DROP INDEX "{name}"')
        for s in range(SOURCES):
            conn.execute(
                "INSERT INTO sources (id, name, type, config_hash, consecutive_failures)"
                " VALUES (%s, %s, 'feed', 'bench', 0)",
                [s + 1, f"source-{s}"],
            )
        copies = {
            "items": (
                "id, source_id, external_id, kind, url, author_hash, title, text, created_at,"
                " fetched_at, segment, content_hash, processed_key",
                shape.items_rows(),
            ),
            "statements": (
                'id, item_id, source_id, author_key, kind, text, start, "end", theme, week,'
                " matched",
                shape.statements_rows(),
            ),
            "evidence": (
                "id, statement_id, item_id, source_id, author_key, persona_id, attribute_id, kind,"
                " score, persona_version, week, segment_key",
                shape.evidence_rows(),
            ),
        }
        for table, (columns, rows) in copies.items():
            with conn.cursor() as cur, cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for block in _blocks(rows):
                    copy.write(block)
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        conn.execute("SET maintenance_work_mem = '512MB'")
        for _, definition in indexes:
            conn.execute(definition)
        for table, name, definition in constraints:
            conn.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        for table in tables:
            conn.execute(f"VACUUM ANALYZE {table}")
    return time.perf_counter() - start


class DbClock:
    """Seconds spent in the driver's execute calls of one engine."""

    def __init__(self, store: Store) -> None:
        self.seconds = 0.0
        self._started: list[float] = []
        event.listen(store.engine, "before_cursor_execute", self._before)
        event.listen(store.engine, "after_cursor_execute", self._after)

    def _before(self, *_: Any) -> None:
        self._started.append(time.perf_counter())

    def _after(self, *_: Any) -> None:
        self.seconds += time.perf_counter() - self._started.pop()


def _measure(clock: DbClock, work: Callable[[], Any], runs: int) -> tuple[float, float]:
    """Median (wall, database) seconds; (inf, inf) when a statement hit --timeout."""
    from sqlalchemy.exc import OperationalError

    walls: list[float] = []
    dbs: list[float] = []
    for _ in range(runs):
        clock.seconds = 0.0
        start = time.perf_counter()
        try:
            work()
        except OperationalError as exc:
            if "statement timeout" not in str(exc):
                raise
            return float("inf"), float("inf")
        walls.append(time.perf_counter() - start)
        dbs.append(clock.seconds)
    return statistics.median(walls), statistics.median(dbs)


def _paths(config: Config, store: Store, now: datetime) -> dict[str, Callable[[], Any]]:
    from sqlalchemy import text

    from listener.alerts.record import last_complete_week
    from listener.cli.report import collect_report
    from listener.digest.build import build_digest
    from listener.digest.send import ensure_evaluated
    from listener.health.status import collect_status
    from listener.service import Service

    service = Service(config)
    service.store = store
    week = last_complete_week(now, config)
    window = weeks_ending(week, config.service.digest.weeks)

    def count() -> int:
        with store.session() as session:
            return int(
                session.execute(
                    text("SELECT count(*) FROM evidence WHERE week = ANY(:weeks)"),
                    {"weeks": window},
                ).scalar_one()
            )

    def digest() -> Any:
        with store.session() as session:
            return build_digest(session, config, week)

    return {
        "count(*) of the window": count,
        "report (8 weeks)": lambda: collect_report(service, 8, None),
        "status": lambda: collect_status(config, store),
        "alerts (evaluate week)": lambda: ensure_evaluated(store, config, week, now),
        "digest build": digest,
    }


@contextmanager
def _database(admin_url: str, keep: bool, reuse: bool) -> Iterator[str]:
    admin = make_url(admin_url)
    plain = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(plain, autocommit=True) as conn:
        if not reuse:
            conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME}")
            conn.execute(f"CREATE DATABASE {DB_NAME}")
    try:
        yield admin.set(database=DB_NAME).render_as_string(hide_password=False)
    finally:
        if not keep:
            with psycopg.connect(plain, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")


def run_size(
    rows: int, admin_url: str, runs: int, keep: bool, reuse: bool = False, timeout: float = 0
) -> dict[str, tuple[float, float]]:
    from listener.analysis import processed_key

    now = datetime.now(UTC)
    with _database(admin_url, keep, reuse) as url, tempfile.TemporaryDirectory() as folder:
        config = load_config(_write_config(Path(folder), url))
        limited = url
        if timeout:
            limited = (
                make_url(url)
                .update_query_dict({"options": f"-c statement_timeout={int(timeout * 1000)}"})
                .render_as_string(hide_password=False)
            )
        store = Store(limited)
        store.upgrade()
        nlp = config.service.nlp
        key = processed_key(nlp.model, nlp.semantic, config.personas.version)
        # the last week is the current one: read live by every path, as in a running daemon
        current = iso_week(now, config.tz)
        weeks = weeks_ending(current, WEEKS)
        shape = Shape(rows, weeks, key)
        plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        if reuse:
            with psycopg.connect(plain) as conn:
                row = conn.execute("SELECT count(*) FROM evidence").fetchone()
            if row is None or row[0] != rows:
                raise SystemExit(f"--reuse: {DB_NAME} does not hold {rows:,} evidence rows")
            print(f"\n{rows:,} evidence rows: the database left by an earlier run (--keep)")
        else:
            loaded = _load(plain, shape)
            print(
                f"\n{rows:,} evidence rows ({shape.statements:,} statements, {shape.items:,}"
                f" items): loaded, indexed and analysed in {loaded:.0f} s"
            )
        clock = DbClock(store)
        if not reuse:
            started = time.perf_counter()
            rebuilt = rollup.rebuild(store, current, now)
            print(
                f"  weekly counts of {len(rebuilt)} complete weeks built in"
                f" {time.perf_counter() - started:.1f} s ({clock.seconds:.1f} s in the database;"
                " processing does this a week at a time as weeks end)"
            )
        results: dict[str, tuple[float, float]] = {}
        for name, work in _paths(config, store, now).items():
            results[name] = _measure(clock, work, 1 if name.startswith("alerts") else runs)
        base = results["count(*) of the window"][1]
        print(f"  {'path':<24} {'wall s':>8} {'db s':>8} {'db × count(*)':>14}")
        for name, (wall, db) in results.items():
            print(f"  {name:<24} {wall:8.3f} {db:8.3f} {db / base:14.2f}")
        store.dispose()
        return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", default="1000000,10000000", help="comma-separated sizes")
    parser.add_argument(
        "--postgres-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="leave the last database behind")
    parser.add_argument("--reuse", action="store_true", help="measure a database left by --keep")
    parser.add_argument(
        "--timeout", type=float, default=0, help="statement timeout (s); a path over it shows inf"
    )
    args = parser.parse_args()
    sizes = [int(float(s)) for s in args.rows.split(",")]

    print(f"load average at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    by_size = {
        n: run_size(n, args.postgres_url, args.runs, args.keep, args.reuse, args.timeout)
        for n in sizes
    }
    if len(sizes) > 1:
        small, large = sizes[0], sizes[-1]
        print(f"\ngrowth of database time from {small:,} to {large:,} rows (×{large / small:.0f}):")
        failed = False
        for name in by_size[small]:
            a, b = by_size[small][name][1], by_size[large][name][1]
            ok = b < 1.0 and (b / a < large / small)
            failed |= not ok and name != "count(*) of the window"
            print(
                f"  {name:<24} ×{b / a:6.2f}  {b:6.3f} s at {large:,}  {'ok' if ok else 'MISSED'}"
            )
        print(f"load average at end: {os.getloadavg()[0]:.2f}")
        return 1 if failed else 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
