"""The JSON Schema of workflow documents, for editors and for authors' own tooling.

Generated from the pydantic model so it can never disagree with what registration
accepts about shape (the meaning checks, such as cycles and references, are beyond a
schema). The committed copy, ``interpreter/dispatched-workflow.schema.json``, is
rewritten with::

    python -m interpreter.schema > interpreter/dispatched-workflow.schema.json

and a test fails when it is stale.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from contract.document import Document

SCHEMA_ID = "urn:dispatched:workflow-document"
SCHEMA_FILE = Path(__file__).with_name("dispatched-workflow.schema.json")


def document_json_schema() -> dict[str, Any]:
    """The JSON Schema (dialect: draft 2020-12, as pydantic writes it) of a document.

    ``$schema`` is left out on purpose: its only correct value is the meta-schema's
    address on an outside host, and this project names none. Tools assume the current
    dialect when it is absent.
    """
    schema = Document.model_json_schema()
    return {
        "$id": SCHEMA_ID,
        **schema,
        "title": "Dispatched workflow document",
        "description": "A Dispatched workflow document (JSON Schema draft 2020-12).",
    }


def render_schema() -> str:
    """The schema as the committed file holds it: indented JSON and a final newline."""
    return json.dumps(document_json_schema(), indent=2, sort_keys=False) + "\n"


if __name__ == "__main__":
    print(render_schema(), end="")
