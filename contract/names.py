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
# The project that always exists. Everything from before projects belongs to it: a run
# with neither the project search attribute nor a `project` memo is this project's. A
# directive only reaches runs of its own project (interpreter.directive_effects.may_reach).
DEFAULT_PROJECT = "default"

# Search attributes (the typed keys are in interpreter.search_attributes). Each one must
# be registered on the namespace before a run can carry it (README, the dev server).
WORKFLOW_NAME_ATTRIBUTE = "DispatchedWorkflow"
REVISION_ATTRIBUTE = "DispatchedRevision"
PROJECT_ATTRIBUTE = "DispatchedProject"  # Keyword; set at start only, runs from before have none
# Keyword: the run id of a spawned run's root (the run at the top of its spawn chain). Set
# on spawned runs only, at start, so `DispatchedRoot = "run_..."` counts a lineage's
# spawned runs and `DispatchedRoot IS NOT NULL` finds spawned runs (the spawn limits).
ROOT_ATTRIBUTE = "DispatchedRoot"
# The memo key naming the run's project (next to `workflow`, `revision`, `version`).
PROJECT_MEMO = "project"
# Memo keys of a spawned run: its root's run id and how many spawns it is from the root.
ROOT_MEMO = "root"
DEPTH_MEMO = "depth"

# Activities the directives use for look-ups a workflow cannot make itself.
RESOLVE_WORKFLOW_ACTIVITY = "dispatched.resolve_workflow"
RUN_IS_OPEN_ACTIVITY = "dispatched.run_is_open"


def project_of_run(attribute: object, memo: object) -> str:
    """The project a run belongs to, from its ``DispatchedProject`` search attribute, else
    its ``project`` memo, else the default project: runs started before projects carry
    neither, and they all belong to ``default``."""
    for value in (attribute, memo):
        if isinstance(value, str) and value:
            return value
    return DEFAULT_PROJECT
