"""The gateway's Prometheus metrics, served at ``GET /metrics`` (SPEC §9).

prometheus_client, the Prometheus project's own client: text exposition, histograms,
and a registry per app (tests and ``dispatched dev`` may run several apps in one
process; the library's global registry would mix them). Labels are bounded: workflow
and project names and an outcome, never a run id, a token or a payload. The worker's
own endpoint (runtime/telemetry.py) carries the run and step metrics.

* ``dispatched_triggers_total{workflow, project, outcome}`` — outcome: ``answered`` (the
  run's answer was sent), ``accepted`` (202: async, or no answer within the wait),
  ``failed`` (the run failed before answering), ``refused`` (4xx before any run);
* ``dispatched_trigger_seconds{workflow, project, outcome}`` — the trigger's latency.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)


class GatewayMetrics:
    """The app's metrics and the registry they are exposed from."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.triggers = Counter(
            "dispatched_triggers", "HTTP triggers by workflow and outcome",
            ["workflow", "project", "outcome"], registry=self.registry,
        )
        self.trigger_seconds = Histogram(
            "dispatched_trigger_seconds", "HTTP trigger latency, request to answer",
            ["workflow", "project", "outcome"], buckets=LATENCY_BUCKETS, registry=self.registry,
        )

    def trigger(self, workflow: str, project: str, outcome: str, seconds: float) -> None:
        self.triggers.labels(workflow, project, outcome).inc()
        self.trigger_seconds.labels(workflow, project, outcome).observe(seconds)

    def text(self) -> bytes:
        """The Prometheus text exposition of every metric."""
        return generate_latest(self.registry)
