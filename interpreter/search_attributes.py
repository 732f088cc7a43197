"""The typed search-attribute keys of a run (the Web UI's columns and visibility filters).

The names are in :mod:`contract.names`; the keys are Temporal objects, so they live on
the engine's side of the house, not in the shared vocabulary.
"""

from __future__ import annotations

from temporalio.common import SearchAttributeKey

from contract.names import REVISION_ATTRIBUTE, WORKFLOW_NAME_ATTRIBUTE

WORKFLOW_NAME_ATTR = SearchAttributeKey.for_keyword(WORKFLOW_NAME_ATTRIBUTE)
REVISION_ATTR = SearchAttributeKey.for_int(REVISION_ATTRIBUTE)
SEARCH_ATTRIBUTES = (WORKFLOW_NAME_ATTR, REVISION_ATTR)
