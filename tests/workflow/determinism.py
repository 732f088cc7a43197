"""What the workflow's code may call, checked from its source (no server).

The engine's one workflow runs without the SDK's sandbox (``runtime/worker.py`` says
why: its modules had to be passed through the sandbox, and passed-through code is never
checked). So this is the check instead, and a stricter one: every module of ours the
workflow reaches through its imports (``interpreter.workflow`` and on, across
``contract`` and ``interpreter``) may import only from :data:`ALLOWED_IMPORTS`, which has
no clock, randomness, I/O, threads or environment, and may read the time only as
``workflow.now()``. Replay of the recorded histories (test_replay.py) is the other half.
"""

from __future__ import annotations

import ast
import importlib.util
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW_MODULE = "interpreter.workflow"
OUR_PACKAGES = frozenset({"contract", "interpreter", "activities"})

# Whole modules a workflow may use: pure computation and Temporal's workflow API.
ALLOWED_IMPORTS = frozenset({
    "__future__", "typing", "types", "collections", "collections.abc", "dataclasses", "enum", "functools",
    "itertools", "operator", "math", "re", "json", "difflib", "heapq", "hashlib", "string", "datetime",
    "asyncio",  # the workflow's own deterministic event loop (gather, wait)
    "pydantic", "jmespath", "jmespath.parser", "jmespath.visitor", "jmespath.exceptions", "jmespath.functions",
    "temporalio", "temporalio.workflow", "temporalio.common", "temporalio.exceptions",
})
# Calls that read the wall clock, whatever they are called on; workflow.now() is the one allowed.
CLOCK_CALLS = frozenset({"now", "utcnow", "today"})


def _is_ours(name: str) -> bool:
    return name.split(".")[0] in OUR_PACKAGES


def _module_file(module: str, root: Path) -> Path | None:
    path = root.joinpath(*module.split("."))
    if (path / "__init__.py").is_file():
        return path / "__init__.py"
    return path.with_suffix(".py") if path.with_suffix(".py").is_file() else None


def _is_module(name: str, root: Path) -> bool:
    if _is_ours(name):
        return _module_file(name, root) is not None
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:  # a parent that is not a package: ``name`` is an attribute
        return False


def _imports(tree: ast.AST, module: str, is_package: bool, root: Path) -> Iterator[tuple[str, int]]:
    """Every module ``tree`` imports, with the line: ``from a import b`` gives ``a``, and
    ``a.b`` too when ``b`` is a module rather than a name in ``a``."""
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([node.module] if node.module else []))
            yield base, node.lineno
            for alias in node.names:
                if _is_module(f"{base}.{alias.name}", root):
                    yield f"{base}.{alias.name}", node.lineno


def reached_modules(start: str = WORKFLOW_MODULE, root: Path = ROOT) -> dict[str, Path]:
    """Our modules ``start`` imports, directly or through others (with their packages)."""
    found: dict[str, Path] = {}
    pending = [start]
    while pending:
        module = pending.pop()
        if module in found or module.split(".")[0] not in OUR_PACKAGES:
            continue
        path = _module_file(module, root)
        if path is None:  # ``from pkg import name`` where name is not a module
            continue
        found[module] = path
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        pending.extend(name for name, _ in _imports(tree, module, path.name == "__init__.py", root))
        parts = module.split(".")
        pending.extend(".".join(parts[:i]) for i in range(1, len(parts)))
    return found


def problems(start: str = WORKFLOW_MODULE, root: Path = ROOT) -> list[str]:
    """Each import or clock read the workflow's code may not make, with where it is."""
    found = []
    for module, path in sorted(reached_modules(start, root).items()):
        where = path.relative_to(root)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for name, line in _imports(tree, module, path.name == "__init__.py", root):
            if not _is_ours(name) and name not in ALLOWED_IMPORTS:
                found.append(f"{where}:{line} imports {name}")
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in CLOCK_CALLS
                and not (isinstance(node.func.value, ast.Name) and node.func.value.id == "workflow")
            ):
                found.append(f"{where}:{node.lineno} reads the clock with .{node.func.attr}(): use workflow.now()")
    return found
