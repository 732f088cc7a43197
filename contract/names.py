"""Names that Temporal, the Web UI and the `temporal` CLI see. Changing one breaks
running workflows and saved histories, so they live in one place."""

from __future__ import annotations

from datetime import timedelta

WORKFLOW_TYPE = "DispatchedRun"
DEFAULT_TASK_QUEUE = "dispatched"
REQUEST_ACTIVITY = "dispatched.request"
# A request activity heartbeats every second while in flight; a worker that died is
# noticed after this long and the attempt is retried elsewhere.
REQUEST_HEARTBEAT_TIMEOUT = timedelta(seconds=5)

RESPONSE_UPDATE = "dispatched.response"
STATE_QUERY = "dispatched.state"
EVENTS_QUERY = "dispatched.events"

RUN_ID_PREFIX = "run_"
# The project every workflow and run belongs to until projects exist; a directive may
# only reach runs of its own project (interpreter.directive_effects.may_reach).
DEFAULT_PROJECT = "default"

# Search attributes (the typed keys are in interpreter.search_attributes).
WORKFLOW_NAME_ATTRIBUTE = "DispatchedWorkflow"
REVISION_ATTRIBUTE = "DispatchedRevision"

# Activities the directives use for look-ups a workflow cannot make itself.
RESOLVE_WORKFLOW_ACTIVITY = "dispatched.resolve_workflow"
RUN_IS_OPEN_ACTIVITY = "dispatched.run_is_open"
