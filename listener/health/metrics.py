"""Prometheus metrics from the same status data `listener status` prints.

Figures are read from the database at scrape time (a custom collector), so they survive restarts
and nothing is double-counted in memory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from listener.store.activity import Activity

StatusSource = Callable[[], dict[str, Any]]
_HEALTH_VALUES = ("ok", "degraded", "never-run", "failing", "backing-off", "disabled")


class StatusCollector(Collector):
    """Prometheus metrics from the same status data the CLI prints."""

    def __init__(self, status: StatusSource) -> None:
        self.status = status

    def collect(self) -> Iterator[Metric]:
        data = self.status()
        totals = GaugeMetricFamily("listener_stored", "Rows stored, by kind", labels=["kind"])
        for kind, value in data["totals"].items():
            totals.add_metric([kind], value)
        yield totals
        items = GaugeMetricFamily(
            "listener_source_items", "Items stored per source", labels=["source"]
        )
        failures = GaugeMetricFamily(
            "listener_source_consecutive_failures", "Failed runs in a row", labels=["source"]
        )
        success = GaugeMetricFamily(
            "listener_source_last_success_timestamp_seconds",
            "Unix time of the last successful fetch",
            labels=["source"],
        )
        health = GaugeMetricFamily(
            "listener_source_health",
            "1 for the source's current health",
            labels=["source", "health"],
        )
        for source in data["sources"]:
            name = source["name"]
            items.add_metric([name], source["items"])
            failures.add_metric([name], source["consecutive_failures"])
            if source["last_success_at"]:
                moment = datetime.fromisoformat(source["last_success_at"])
                success.add_metric([name], moment.timestamp())
            for value in _HEALTH_VALUES:
                health.add_metric([name, value], 1.0 if source["health"] == value else 0.0)
        yield from (items, failures, success, health)


class ActivityCollector(Collector):
    """Runs per source, deliveries and lease holders, read from the database at scrape time."""

    def __init__(self, activity: Callable[[], Activity]) -> None:
        self.activity = activity

    def collect(self) -> Iterator[Metric]:
        data = self.activity()
        runs = {
            kind: CounterMetricFamily(
                f"listener_source_{kind}", f"Source runs: {kind}", labels=["source"]
            )
            for kind in ("runs", "successes", "failures", "skipped")
        }
        for name, counted in data.runs.items():
            runs["runs"].add_metric([name], counted.attempts)
            runs["successes"].add_metric([name], counted.successes)
            runs["failures"].add_metric([name], counted.failures)
            runs["skipped"].add_metric([name], counted.skipped)
        yield from runs.values()
        deliveries = GaugeMetricFamily(
            "listener_deliveries",
            "Deliveries (digest, alert) by status: pending, sending, sent, failed, uncertain...",
            labels=["channel", "status"],
        )
        attempts = CounterMetricFamily(
            "listener_delivery_attempts", "Delivery attempts, by channel", labels=["channel"]
        )
        per_channel: dict[str, int] = {}
        for row in data.deliveries:
            deliveries.add_metric([row.channel, row.status], row.deliveries)
            per_channel[row.channel] = per_channel.get(row.channel, 0) + row.attempts
        for channel, count in per_channel.items():
            attempts.add_metric([channel], count)
        yield from (deliveries, attempts)
        holders = GaugeMetricFamily(
            "listener_lease_holder",
            "1 per lease held, labelled with the holding instance",
            labels=["lease", "holder"],
        )
        for lease in data.leases:
            holders.add_metric([lease.lease, lease.holder], 1.0)
        yield holders
