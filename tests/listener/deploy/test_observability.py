"""/metrics after a real run, /readyz following the database, a run id on every job's lines."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from listener.health.readiness import check
from listener.store.db import Store, head_revision
from tests.listener.deploy.daemon import example_config, start, stop, wait_for_http, wait_for_log
from tests.listener.deploy.tcp_proxy import PausableProxy

METRIC_NAMES = (
    "listener_source_items",
    "listener_source_runs_total",
    "listener_source_failures_total",
    "listener_source_last_success_timestamp_seconds",
    "listener_extraction_seconds_count",
    "listener_evidence_written_total",
    "listener_stored",
    "listener_deliveries",
    "listener_delivery_attempts_total",
)


def _probe(port: int, path: str) -> int:
    env = {**os.environ, "LISTENER_HEALTH_PORT": str(port)}
    command = [sys.executable, "-m", "listener.health.probe", path]
    return subprocess.run(command, env=env, capture_output=True, timeout=30).returncode


def _sample(metrics: str, name: str) -> float:
    lines = [line for line in metrics.splitlines() if line.startswith(name + " ")]
    assert lines, f"no sample {name} in:\n{metrics}"
    return float(lines[0].split()[-1])


@pytest.mark.slow
def test_metrics_after_a_run_and_a_run_id_per_job(store_url: str, tmp_path: Path) -> None:
    config, port = example_config(tmp_path, database=store_url)
    log = tmp_path / "daemon.log"
    process = start(config, log)
    try:
        wait_for_log(log, '"digest delivered"')
        ready = wait_for_http(f"http://127.0.0.1:{port}/readyz", 200)
        assert ready.json()["status"] == "ready" and ready.json()["reasons"] == []
        metrics = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
        assert _probe(port, "healthz") == 0  # the Dockerfile's HEALTHCHECK
    finally:
        assert stop(process) == 0, log.read_text()[-2000:]
    assert _probe(port, "healthz") == 1  # nobody listens any more
    for name in METRIC_NAMES:
        assert f"\n{name}" in metrics or metrics.startswith(name), f"{name} missing"
    # declared for the lease holders; samples appear once leases are stored (activity.py hook)
    assert "# TYPE listener_lease_holder gauge" in metrics
    assert _sample(metrics, 'listener_source_runs_total{source="nps-q4"}') >= 1
    assert _sample(metrics, 'listener_source_failures_total{source="nps-q4"}') == 0
    assert _sample(metrics, "listener_extraction_seconds_count") >= 1
    assert _sample(metrics, "listener_evidence_written_total") > 0
    assert _sample(metrics, 'listener_deliveries{channel="digest",status="sent"}') == 1
    assert _sample(metrics, 'listener_source_items{source="nps-q4"}') > 0

    events = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    fetched = [e for e in events if e["event"] == "source fetched"]
    assert len(fetched) >= 2 and all(len(e.get("run_id", "")) == 12 for e in fetched)
    assert len({e["run_id"] for e in fetched}) == len(fetched), "each job run has its own id"
    for entry in fetched:  # every line of that run carries its id, and only that run's lines
        same = [e for e in events if e.get("run_id") == entry["run_id"]]
        assert {e.get("job") for e in same} == {"_source_job"}
        assert {e.get("source") for e in same if "source" in e} == {entry["source"]}


@pytest.mark.postgres
@pytest.mark.slow
def test_readyz_follows_the_database(postgres_database: str, tmp_path: Path) -> None:
    engine = create_engine(postgres_database)
    with engine.begin() as connection:  # from an empty schema, as store_url gives
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    real = make_url(postgres_database)
    proxy = PausableProxy((real.host or "127.0.0.1", real.port or 5432))
    proxy.resume()
    url = real.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    config, port = example_config(tmp_path, database=url)
    log = tmp_path / "daemon.log"
    process = start(config, log)
    readyz = f"http://127.0.0.1:{port}/readyz"
    try:
        wait_for_log(log, '"digest delivered"')
        assert wait_for_http(readyz, 200).json()["schema"] is not None
        proxy.pause()
        down = wait_for_http(readyz, 503, timeout=30).json()
        assert down["status"] == "not-ready"
        assert [r for r in down["reasons"] if r.startswith("database:")], down
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10).status_code != 404
        assert process.poll() is None, "the daemon must wait for the database, not exit"
        proxy.resume()
        up = wait_for_http(readyz, 200, timeout=30).json()
        assert up["reasons"] == [] and up["schema"] == up["head"]
    finally:
        code = stop(process)
        proxy.pause()
    assert code == 0, log.read_text()[-2000:]


def test_readiness_names_a_schema_behind_the_code_and_a_stalled_scheduler(store_url: str) -> None:
    store = Store(store_url)  # not upgraded: no schema at all
    try:
        behind = check(store, lambda: None)
        assert not behind.ready
        assert behind.reasons == [
            f"schema: at nothing, code expects {head_revision()} (run `listener db upgrade`)"
        ]
        store.upgrade()
        assert check(store, lambda: None).ready
        stalled = check(store, lambda: "last heartbeat 40s ago (expected every 5s)")
        assert stalled.as_dict()["reasons"] == [
            "scheduler: last heartbeat 40s ago (expected every 5s)"
        ]
    finally:
        store.dispose()
