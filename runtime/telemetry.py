"""The worker's metrics: the Temporal SDK's Prometheus exporter, with Dispatched's own.

The worker's endpoint (``DISPATCHED_METRICS_PORT``, default 9464, on ``DISPATCHED_HOST``)
is the SDK runtime's Prometheus exporter: it carries the SDK's ``temporal_*`` metrics
(task latencies, pollers, activity outcomes, sticky cache) and Dispatched's
``dispatched_*`` ones, which the workflow counts through ``workflow.metric_meter()``
(interpreter/run_metrics.py). That meter is the only one a workflow may use: it does
not count again when a run is replayed on another worker, which a plain Prometheus
counter in workflow code would. The gateway, which has no workflow code, serves its
own ``GET /metrics`` with prometheus_client (gateway/metrics.py); the names and
labels follow the same scheme, and neither has a run id or a payload as a label.
"""

from __future__ import annotations

from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig


def metrics_runtime(host: str, port: int) -> Runtime:
    """An SDK runtime serving Prometheus text at ``http://host:port/metrics``."""
    return Runtime(
        telemetry=TelemetryConfig(
            metrics=PrometheusConfig(bind_address=f"{host}:{port}", counters_total_suffix=True, durations_as_seconds=True)
        )
    )
