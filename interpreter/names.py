"""Names that Temporal, the Web UI and the `temporal` CLI see. Changing one breaks
running workflows and saved histories, so they live in one place."""

from __future__ import annotations

from datetime import timedelta

from temporalio.common import SearchAttributeKey

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

WORKFLOW_NAME_ATTR = SearchAttributeKey.for_keyword("DispatchedWorkflow")
REVISION_ATTR = SearchAttributeKey.for_int("DispatchedRevision")
SEARCH_ATTRIBUTES = (WORKFLOW_NAME_ATTR, REVISION_ATTR)
