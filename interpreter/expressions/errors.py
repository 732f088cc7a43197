"""The one error of the expression language.

Error tree::

    ValueError
     └── ExpressionError   a bad expression or template, with the column it went wrong at

It subclasses :class:`ValueError` so pydantic validators can raise it straight through and
callers that only know "the input was bad" can still catch it.
"""

from __future__ import annotations

import json


class ExpressionError(ValueError):
    """An expression or template that does not parse.

    Attributes:
        message: what is wrong, without the position (``"unexpected token '=='"``).
        column: 1-based column within ``expression`` where it went wrong. For a template
            this counts from the start of the whole template string.
        expression: the text that was being parsed (the whole template for templates).
    """

    def __init__(self, message: str, column: int, expression: str) -> None:
        self.message = message
        self.column = column
        self.expression = expression
        super().__init__(str(self))

    def __str__(self) -> str:
        # json.dumps quotes the text and shows a trailing newline from a YAML block scalar as
        # "\n" rather than breaking the message over two lines.
        quoted = json.dumps(self.expression, ensure_ascii=False)
        return f"{self.message} at column {self.column} in {quoted}"

    def shifted(self, offset: int, expression: str) -> ExpressionError:
        """The same error re-anchored inside a larger text that starts ``offset`` chars earlier."""
        return ExpressionError(self.message, self.column + offset, expression)
