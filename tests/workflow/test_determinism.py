"""The workflow's code stays deterministic without the SDK's sandbox (tests/workflow/determinism.py)."""

from __future__ import annotations

from pathlib import Path

from tests.workflow.determinism import problems, reached_modules


def test_the_workflow_reaches_only_pure_modules() -> None:
    assert problems() == []


def test_the_check_follows_the_workflows_imports() -> None:
    reached = reached_modules()
    # the interpreter's pieces the workflow runs, through direct and indirect imports
    assert {"interpreter.workflow", "interpreter.run_book", "interpreter.expressions.parser", "contract.messages"} <= set(reached)
    # the client and the activities run outside workflows: not held to the rule
    assert "interpreter.client" not in reached and not any(name.startswith("activities") for name in reached)


def _tree(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_the_check_sees_a_clock_a_random_and_an_io_import_two_modules_away(tmp_path: Path) -> None:
    _tree(tmp_path, {
        "interpreter/__init__.py": "",
        "interpreter/workflow.py": "from temporalio import workflow\nfrom interpreter import helper\n",
        "interpreter/helper.py": (
            "import datetime\nimport random\nfrom temporalio import client\nfrom interpreter.deep import x\n"
            "def f():\n    return datetime.datetime.now(), workflow.now()\n"
        ),
        "interpreter/deep.py": "import os\nx = os.environ\n",
    })
    found = problems(root=tmp_path)
    assert found == [
        "interpreter/deep.py:1 imports os",
        "interpreter/helper.py:2 imports random",
        "interpreter/helper.py:3 imports temporalio.client",
        "interpreter/helper.py:6 reads the clock with .now(): use workflow.now()",
    ]
