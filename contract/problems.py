"""Definition problems: what is wrong with a workflow document, and where.

Every stage that reads a document (loading, shape validation, semantic checks, graph
planning) reports what it finds as :class:`Problem` values instead of raising on the
first one, because authors want every mistake listed in one round trip. Errors are
gathered into one :class:`DocumentInvalid`; warnings travel with the accepted document.

Runtime failures are another matter and live in :mod:`contract.errors`::

    ValueError
    └── DocumentInvalid      the document is rejected; .problems lists every error
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

PathPart = str | int
Path = tuple[PathPart, ...]
Severity = Literal["error", "warning"]


def dotted(path: Path) -> str:
    """Render a document path the way authors read it: ``steps.a.after[0]``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


@dataclass(frozen=True)
class Problem:
    """One thing wrong with (or worth a warning in) a document.

    ``line`` and ``column`` are 1-based and set by the loader when the document came
    as text; documents that arrive as models only carry ``path``.
    """

    message: str
    path: Path = ()
    severity: Severity = "error"
    line: int | None = None
    column: int | None = None

    @property
    def step(self) -> str | None:
        """The step id the problem belongs to, so a UI can highlight that step."""
        if len(self.path) >= 2 and self.path[0] == "steps" and isinstance(self.path[1], str):
            return self.path[1]
        return None

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def located(self, line: int | None, column: int | None) -> Problem:
        """A copy placed at ``line``/``column`` (keeps a position already known)."""
        if self.line is not None or line is None:
            return self
        return Problem(self.message, self.path, self.severity, line, column)

    def __str__(self) -> str:
        where = dotted(self.path) or "document"
        if self.line is not None:
            where += f" (line {self.line}" + (f", column {self.column})" if self.column else ")")
        return f"{where}: {self.message}"  # severity is for the reader to add: callers label lists

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of a problem in the API's 422 answer and in warnings."""
        return {
            "message": self.message,
            "path": dotted(self.path),
            "step": self.step,
            "line": self.line,
            "column": self.column,
            "severity": self.severity,
        }


def sort_problems(problems: Iterable[Problem]) -> list[Problem]:
    """Order problems as a reader meets them: by line, then column; unplaced ones last.

    The sort is stable, so problems without a position keep the order they were found in.
    """
    big = 1 << 62
    return sorted(problems, key=lambda p: (p.line if p.line is not None else big, p.column or 0))


class DocumentInvalid(ValueError):
    """A document was rejected; ``problems`` holds every error found, sorted by line."""

    def __init__(self, problems: Iterable[Problem], *, source: str = "document") -> None:
        self.problems: list[Problem] = sort_problems(problems)
        self.source = source
        count = len(self.problems)
        header = f"{source} is invalid ({count} problem{'s' if count != 1 else ''}):"
        super().__init__("\n".join([header, *(f"  {p}" for p in self.problems)]))

    def to_dict(self) -> dict[str, Any]:
        """``{"problems": [...]}`` for the API's 422 answer."""
        return {"problems": [p.to_dict() for p in self.problems]}
