"""How fast the webhook receiver answers a signed delivery, over loopback HTTP, per database.

    .venv/bin/python bench/bench_webhooks.py [--deliveries 500] [--database URL]

Each delivery is a new Typeform form_response (so every one is stored) posted sequentially on
a fresh connection; the time is from sending the request to reading the 200, which includes
the signature check and the committed transaction. Prints the median, 95th percentile and
maximum in milliseconds. Duplicates are timed too (a sender's retry of the last event).
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import tempfile
import time
from pathlib import Path

from listener import logging as listener_logging
from listener.privacy.keys import Pseudonymiser
from listener.store.db import Store
from listener.webhooks.config import WebhooksConfig
from listener.webhooks.events import typeform_signature
from listener.webhooks.receiver import Receiver
from listener.webhooks.server import WebhookServer

SECRET = "bench-secret"


def event(n: int) -> bytes:
    field = {"id": "f1", "ref": "hardest", "type": "long_text", "title": "Hardest part?"}
    answer = {"type": "text", "text": f"Answer {n}: month end again.", "field": field}
    return json.dumps(
        {
            "event_id": f"ev{n}",
            "event_type": "form_response",
            "form_response": {
                "form_id": "BenchForm",
                "token": f"tok{n}",
                "submitted_at": "2026-11-20T10:00:02Z",
                "definition": {"id": "BenchForm", "title": "Bench", "fields": [field]},
                "answers": [answer],
            },
        }
    ).encode()


def timed_post(port: int, body: bytes) -> float:
    headers = {
        "Content-Type": "application/json",
        "Typeform-Signature": typeform_signature(SECRET, body),
    }
    start = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("POST", "/webhooks/bench", body=body, headers=headers)
    response = conn.getresponse()
    response.read()
    elapsed = time.perf_counter() - start
    conn.close()
    assert response.status == 200, response.status
    return elapsed * 1000


def report(label: str, times: list[float]) -> None:
    times = sorted(times)
    p95 = times[int(len(times) * 0.95) - 1]
    print(
        f"{label}: n={len(times)} median {statistics.median(times):.2f} ms, "
        f"p95 {p95:.2f} ms, max {times[-1]:.2f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=500)
    parser.add_argument("--database", default=None, help="SQLAlchemy URL (default: a temp SQLite)")
    args = parser.parse_args()
    listener_logging.configure("warning", True)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database or f"sqlite:///{Path(tmp) / 'bench.db'}"
        store = Store(url)
        store.upgrade()
        config = WebhooksConfig.model_validate(
            {"routes": [{"name": "bench", "type": "typeform", "secret_env": "BENCH_SECRET"}]}
        )
        pseudonyms = Pseudonymiser(b"bench-webhooks-author-key")
        receiver = Receiver(config, store, pseudonyms, environ={"BENCH_SECRET": SECRET})
        server = WebhookServer(receiver).start()
        try:
            for n in range(20):  # warm up connections and caches
                timed_post(server.port, event(-n - 1))
            stored = [timed_post(server.port, event(n)) for n in range(args.deliveries)]
            again = [timed_post(server.port, event(args.deliveries - 1)) for _ in range(100)]
        finally:
            server.stop()
            store.dispose()
        print(f"database: {store.engine.dialect.name}")
        report("new event stored", stored)
        report("duplicate", again)


if __name__ == "__main__":
    main()
