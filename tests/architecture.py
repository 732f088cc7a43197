"""The package import graph of the house, and the rules it must keep (docs/architecture.md).

``python -m tests.architecture`` prints which top-level package imports which (every
``import`` anywhere in a module counts, including those inside functions and
``TYPE_CHECKING`` blocks). ``tests/test_architecture.py`` fails when an arrow points up
or sideways, or when two packages import each other around a loop.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Each package and the packages of ours it may import: arrows point down only.
ALLOWED: dict[str, frozenset[str]] = {
    "contract": frozenset(),
    "interpreter": frozenset({"contract"}),
    "activities": frozenset({"contract"}),
    "registry": frozenset({"contract"}),
    "runtime": frozenset({"contract", "interpreter", "activities", "registry"}),
    "gateway": frozenset({"contract", "interpreter", "registry", "runtime"}),
    "cli": frozenset({"contract", "interpreter", "registry", "runtime", "gateway"}),
}
PACKAGES = tuple(ALLOWED)
# The bottom package is plain vocabulary: no Temporal, no I/O libraries.
CONTRACT_FORBIDDEN = frozenset({"temporalio", "httpx", "fastapi", "psycopg", "sqlite3", "yaml", "uvicorn"})


def _modules(package: str) -> Iterator[Path]:
    yield from sorted((ROOT / package).rglob("*.py"))


def _imported(path: Path) -> Iterator[tuple[str, int]]:
    """Top-level names of every module ``path`` imports, with the line."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name.split(".")[0], node.lineno
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.split(".")[0], node.lineno


def import_edges() -> dict[str, dict[str, list[str]]]:
    """``package -> imported top-level name -> ["file:line", ...]`` for our packages."""
    edges: dict[str, dict[str, list[str]]] = {}
    for package in PACKAGES:
        found = edges.setdefault(package, {})
        for path in _modules(package):
            for name, line in _imported(path):
                if name != package:
                    found.setdefault(name, []).append(f"{path.relative_to(ROOT)}:{line}")
    return edges


def violations() -> list[str]:
    """Every arrow the house does not allow, each with where it is."""
    problems = []
    for package, imported in import_edges().items():
        for name, places in sorted(imported.items()):
            ours = name in ALLOWED
            if (ours and name not in ALLOWED[package]) or (package == "contract" and name in CONTRACT_FORBIDDEN):
                problems.append(f"{package} imports {name} at {', '.join(places)}")
    return problems


def cycles() -> list[list[str]]:
    """Loops among our packages' imports (each as the packages along it)."""
    graph = {p: sorted(n for n in imported if n in ALLOWED) for p, imported in import_edges().items()}
    found: list[list[str]] = []

    def walk(node: str, path: list[str]) -> None:
        for nxt in graph[node]:
            if nxt == path[0]:
                found.append([*path, nxt])
            elif nxt not in path and nxt > path[0]:  # report each loop once, from its smallest member
                walk(nxt, [*path, nxt])

    for start in sorted(graph):
        walk(start, [start])
    return found


def main() -> int:
    for package, imported in import_edges().items():
        ours = sorted(n for n in imported if n in ALLOWED)
        print(f"{package:12} -> {', '.join(ours) if ours else '(nothing of ours)'}")
    problems = violations() + [" -> ".join(loop) for loop in cycles()]
    for problem in problems:
        print(f"not allowed: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
