"""``/metrics``: Prometheus figures, right with one server process or several.

Request counts, refusals by code and latencies are counted in the process with prometheus-client;
when ``PROMETHEUS_MULTIPROC_DIR`` is set (``gridpos serve --workers N`` sets it) every process
writes its counts there and a scrape adds them up. Payments, undos, the outbox backlog and its
oldest age, MIS errors and the sync lag are read from the database at scrape time.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import Engine

from gridpos.adapters.db.server_figures import read_figures

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"

REQUESTS = Counter(
    "gridpos_terminal_requests",
    "Terminal API requests answered, by route and outcome",
    ["route", "outcome"],
)
REFUSALS = Counter("gridpos_terminal_refusals", "Terminal API refusals by code", ["code"])
LATENCY = Histogram(
    "gridpos_terminal_request_seconds",
    "Terminal API request handling time",
    ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)


def observe(route: str, code: str | None) -> None:
    """Count one answered request (``code`` None when it succeeded)."""
    REQUESTS.labels(route=route, outcome="ok" if code is None else "refused").inc()
    if code is not None:
        REFUSALS.labels(code=code).inc()


def observe_duration(route: str, seconds: float) -> None:
    """Record how long one request took."""
    LATENCY.labels(route=route).observe(seconds)


class DatabaseFigures(Collector):
    """The figures read from the database at each scrape."""

    def __init__(self, engine: Engine, now: Callable[[], datetime]) -> None:
        self._engine = engine
        self._now = now

    def collect(self) -> Iterator[Metric]:
        with self._engine.connect() as connection:
            figures = read_figures(connection, now=self._now())
        payments = GaugeMetricFamily("gridpos_payments", "Payments by state", labels=["state"])
        for state, count in sorted(figures.payments_by_state.items()):
            payments.add_metric([state], count)
        yield payments
        yield GaugeMetricFamily(
            "gridpos_payments_offline", "Payments collected offline", value=figures.payments_offline
        )
        undos = GaugeMetricFamily(
            "gridpos_payment_undos", "Reversals, voids and cancellations", labels=["kind"]
        )
        for kind, count in sorted(figures.undos_by_kind.items()):
            undos.add_metric([kind], count)
        yield undos
        yield GaugeMetricFamily(
            "gridpos_outbox_backlog",
            "Outbox rows waiting for the MIS",
            value=figures.outbox_pending,
        )
        yield GaugeMetricFamily(
            "gridpos_outbox_oldest_age_seconds",
            "Age of the oldest outbox row waiting",
            value=figures.outbox_oldest_age_s,
        )
        yield GaugeMetricFamily(
            "gridpos_outbox_dead", "Outbox rows given up (dead letters)", value=figures.outbox_dead
        )
        yield GaugeMetricFamily(
            "gridpos_mis_errors",
            "Outbox rows not yet sent that the MIS refused or failed",
            value=figures.outbox_with_error,
        )
        if figures.sync_age_s is not None:
            yield GaugeMetricFamily(
                "gridpos_sync_lag_seconds",
                "Seconds since the replica last synced from the MIS",
                value=figures.sync_age_s,
            )


def render(engine: Engine, now: Callable[[], datetime]) -> bytes:
    """The exposition text of every figure."""
    registry = CollectorRegistry(auto_describe=False)
    directory = os.environ.get(MULTIPROCESS_ENV)
    if directory:
        MultiProcessCollector(registry, path=directory)  # type: ignore[no-untyped-call]
    else:
        for metric in (REQUESTS, REFUSALS, LATENCY):
            registry.register(metric)
    registry.register(DatabaseFigures(engine, now))
    return generate_latest(registry)
