"""Prometheus metrics, one registry per app (tests build many apps in one process)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

CONTENT_TYPE = CONTENT_TYPE_LATEST


class Metrics:
    """Counters and histograms the server exports on ``/metrics``."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.events_in = Counter("floorwalker_events_received", "Events accepted (stored)",
                                 ["type"], registry=self.registry)
        self.duplicates = Counter("floorwalker_events_duplicate",
                                  "Events dropped as duplicate messageId",
                                  registry=self.registry)
        self.rejected = Counter("floorwalker_requests_rejected",
                                "Requests answered with an error, by error code",
                                ["code"], registry=self.registry)
        self.commit_latency = Histogram(
            "floorwalker_pipeline_commit_seconds",
            "Time to dedupe, resolve, apply and commit one group of events",
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
            registry=self.registry)
        self.request_latency = Histogram(
            "floorwalker_ingest_request_seconds",
            "Ingestion request time from body read to durable acknowledgement",
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
            registry=self.registry)
        self.sockets = Gauge("floorwalker_websockets", "Open WebSocket connections", ["kind"],
                             registry=self.registry)
        self.commit_size = Histogram(
            "floorwalker_pipeline_commit_events", "Events per group commit",
            buckets=(1, 5, 20, 50, 100, 250, 500, 1000, 2500), registry=self.registry)

    def observe_commit(self, seconds: float, events: int) -> None:
        """Record one group commit."""
        self.commit_latency.observe(seconds)
        self.commit_size.observe(events)

    def render(self) -> bytes:
        """The text exposition format."""
        return generate_latest(self.registry)
