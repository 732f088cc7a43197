"""The typed search-attribute keys of a run (the Web UI's columns and visibility filters).

The names are in :mod:`contract.names`; the keys are Temporal objects, so they live on
the engine's side of the house, not in the shared vocabulary.
"""

from __future__ import annotations

from temporalio.common import SearchAttributeKey

from contract.names import PROJECT_ATTRIBUTE, REVISION_ATTRIBUTE, ROOT_ATTRIBUTE, WORKFLOW_NAME_ATTRIBUTE

WORKFLOW_NAME_ATTR = SearchAttributeKey.for_keyword(WORKFLOW_NAME_ATTRIBUTE)
REVISION_ATTR = SearchAttributeKey.for_int(REVISION_ATTRIBUTE)
PROJECT_ATTR = SearchAttributeKey.for_keyword(PROJECT_ATTRIBUTE)
ROOT_ATTR = SearchAttributeKey.for_keyword(ROOT_ATTRIBUTE)  # spawned runs only, set by the spawn

# What the workflow itself checks and upserts when a run lacks it (``_label_run``). The
# project is NOT here: it is set at start only. Upserting it into a run from before
# projects would add a command its recorded history does not have (non-determinism on
# replay); such a run has no attribute and belongs to the default project.
LABEL_ATTRIBUTES = (WORKFLOW_NAME_ATTR, REVISION_ATTR)
# The root likewise: only a spawn sets it, at the child's start, never the workflow itself.
# Every attribute a run may carry: what a namespace (dev server, tests, bench) registers.
SEARCH_ATTRIBUTES = (*LABEL_ATTRIBUTES, PROJECT_ATTR, ROOT_ATTR)
