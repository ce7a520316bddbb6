"""The service's Prometheus metrics, in a registry of its own (one per app, so two services in
one process, as in tests, never share counts). Labels take only known values: an endpoint the
service has and a format name it knows, else "other", so no request can grow the series."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from .workers import WorkerPool

ENDPOINTS = ("/validate", "/render", "/public", "/parse", "/schema", "/healthz", "/metrics")
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class _PoolCollector(Collector):
    """Worker gauges read at scrape time: how many are ready, and each one's memory."""

    def __init__(self, pool: Callable[[], WorkerPool | None]) -> None:
        self._pool = pool

    def collect(self) -> Iterable[GaugeMetricFamily]:
        pool = self._pool()
        ready = GaugeMetricFamily("imrgen_workers_ready", "Workers warm and alive")
        waiting = GaugeMetricFamily("imrgen_requests_waiting", "Requests waiting for a worker")
        rss = GaugeMetricFamily(
            "imrgen_worker_rss_bytes", "Resident memory of each worker", labels=["worker"]
        )
        if pool is not None:
            ready.add_metric([], sum(w.state in ("idle", "busy") for w in pool.workers))
            waiting.add_metric([], pool.waiting)
            for worker in pool.workers:
                size = worker.rss_bytes()
                if size is not None:
                    rss.add_metric([str(worker.index)], size)
        yield ready
        yield waiting
        yield rss


class Metrics:
    def __init__(self, formats: Iterable[str], pool: Callable[[], WorkerPool | None]) -> None:
        self.formats = frozenset(formats)
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "imrgen_requests",
            "Requests answered, by endpoint, format and status",
            ["endpoint", "format", "status"],
            registry=self.registry,
        )
        self.errors = Counter(
            "imrgen_errors",
            "Requests answered with an error (status 400 or more)",
            ["endpoint", "format", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "imrgen_request_duration_seconds",
            "Time from request to response, by endpoint and format",
            ["endpoint", "format"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.restarts = Counter(
            "imrgen_worker_restarts",
            "Workers replaced, by reason (timeout, died, cancelled, warm-up failed)",
            ["reason"],
            registry=self.registry,
        )
        self.registry.register(_PoolCollector(pool))

    def endpoint_label(self, path: str) -> str:
        return path if path in ENDPOINTS else "other"

    def format_label(self, fmt: str | None) -> str:
        if not fmt:
            return "-"
        return fmt if fmt in self.formats else "other"

    def observe(self, endpoint: str, fmt: str, status: int, seconds: float) -> None:
        self.requests.labels(endpoint, fmt, str(status)).inc()
        self.latency.labels(endpoint, fmt).observe(seconds)
        if status >= 400:
            self.errors.labels(endpoint, fmt, str(status)).inc()

    def restarted(self, reason: str) -> None:
        self.restarts.labels(reason).inc()

    def text(self) -> bytes:
        return generate_latest(self.registry)
