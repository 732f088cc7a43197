"""The JSON Schema of documents: generated from the model and never stale."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from contract.document import ACTION_KINDS
from interpreter.schema import SCHEMA_FILE, document_json_schema, render_schema

EXAMPLES = Path(__file__).parents[2] / "examples"


def test_committed_schema_file_matches_the_model() -> None:
    assert SCHEMA_FILE.read_text() == render_schema(), (
        "interpreter/dispatched-workflow.schema.json is stale: run "
        "python -m interpreter.schema > interpreter/dispatched-workflow.schema.json"
    )


def test_schema_names_the_document_and_lists_its_parts() -> None:
    schema = document_json_schema()
    assert schema["$id"] and schema["title"] == "Dispatched workflow document"
    assert set(schema["properties"]) == {"name", "version", "triggers", "steps", "response"}
    assert schema["required"] == ["name", "steps"]
    step = schema["$defs"]["Step"]
    assert set(ACTION_KINDS) <= set(step["properties"])
    assert all(definition.get("additionalProperties") is False for definition in schema["$defs"].values())


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    return schema["$defs"][ref.rsplit("/", 1)[-1]] if ref else node


def _model_of(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any] | None:
    node = _resolve(schema, node)
    for option in node.get("anyOf", []):
        if "$ref" in option:
            return _resolve(schema, option)
    return node if "properties" in node else None


def _check_fields(schema: dict[str, Any], model: dict[str, Any], value: dict[str, Any], where: str) -> None:
    """The seeds use only fields the schema declares, down to every nested model."""
    for key, item in value.items():
        assert key in model["properties"], f"{where}.{key} is not in the schema"
        inner = _model_of(schema, model["properties"][key])
        if inner is not None and isinstance(item, dict):
            _check_fields(schema, inner, item, f"{where}.{key}")


@pytest.mark.parametrize("seed", ["async-checkout.json", "response-header-directives.json"])
def test_seed_documents_fit_the_schema(seed: str) -> None:
    schema = document_json_schema()
    document = json.loads((EXAMPLES / seed).read_text())
    assert set(schema["required"]) <= set(document)
    _check_fields(schema, schema, {k: v for k, v in document.items() if k != "steps"}, "document")
    step_model = schema["$defs"]["Step"]
    for sid, step in document["steps"].items():
        _check_fields(schema, step_model, step, f"steps.{sid}")
