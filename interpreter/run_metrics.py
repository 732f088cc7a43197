"""Dispatched's own metrics of a run, counted from inside the workflow (SPEC §9).

Through ``workflow.metric_meter()``, the one meter a workflow may use: the SDK does
not record while a run replays, so a run moved to another worker is not counted twice.
The worker exports them with the SDK's own (runtime/telemetry.py). Labels are bounded:
workflow and project names, step kinds and outcomes — never a run id or a payload.

* ``dispatched_steps_total{workflow, project, kind, outcome}`` — outcome is the step's
  final state (completed, skipped, failed, cancelled);
* ``dispatched_step_duration_seconds{workflow, project, kind}`` — started to finished;
* ``dispatched_runs_total{workflow, project, status}`` — the run's final status;
* ``dispatched_directives_total{workflow, project, kind, outcome}`` — applied, skipped
  or rejected.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import MetricMeter


class RunMetrics:
    """The meters of one run, labelled with its workflow and project."""

    def __init__(self, workflow_name: str, project: str) -> None:
        self._meter: MetricMeter | None = None
        self._labels = {"workflow": workflow_name, "project": project}

    def _run_meter(self) -> MetricMeter:
        # Made on first use, inside the workflow's event loop (the meter needs it).
        if self._meter is None:
            self._meter = workflow.metric_meter().with_additional_attributes(self._labels)
        return self._meter

    def step(self, kind: str, outcome: str, duration: timedelta | None) -> None:
        meter = self._run_meter()
        meter.create_counter("dispatched_steps", "steps by final state").add(1, {"kind": kind, "outcome": outcome})
        if duration is not None:
            meter.create_histogram_timedelta("dispatched_step_duration", "step run time", unit="duration").record(
                max(duration, timedelta(0)), {"kind": kind}
            )

    def run(self, status: str) -> None:
        self._run_meter().create_counter("dispatched_runs", "runs by final status").add(1, {"status": status})

    def directive(self, kind: str, outcome: str) -> None:
        self._run_meter().create_counter("dispatched_directives", "response-header directives by outcome").add(
            1, {"kind": kind, "outcome": outcome}
        )
