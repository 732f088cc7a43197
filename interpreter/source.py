"""Text to plain data, with a position for every key and item: the loading stage.

PyYAML's own constructors silently keep the last of two duplicate keys, turn a key
such as ``on`` into ``True``, and forget where anything was. So this module composes
the node tree with the safe loader and builds plain data itself, recording the start
of every mapping key and sequence item in a :class:`SourceMap` and reporting
duplicates and non-string keys as :class:`~contract.problems.Problem` values.

JSON is read with :mod:`json` (``object_pairs_hook`` catches duplicates); its
positions come from composing the same text as YAML, which nearly every JSON text
is. When that fails the JSON data still loads, only without positions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import yaml

from contract.limits import MAX_DOCUMENT_NODES
from contract.problems import Path, Problem

# Scalars keep the type PyYAML's safe loader gives them, except timestamps: a date
# would not survive JSON, so it stays the string the author wrote.
_STR = "tag:yaml.org,2002:str"
_SCALARS = {
    "tag:yaml.org,2002:int": yaml.constructor.SafeConstructor.construct_yaml_int,
    "tag:yaml.org,2002:float": yaml.constructor.SafeConstructor.construct_yaml_float,
    "tag:yaml.org,2002:bool": yaml.constructor.SafeConstructor.construct_yaml_bool,
    "tag:yaml.org,2002:null": yaml.constructor.SafeConstructor.construct_yaml_null,
}
_BOOL = "tag:yaml.org,2002:bool"
_COLLECTION_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
# libyaml's parser, when PyYAML was built with it, is some 20 times faster.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # alias expansion ("billion laughs") stops here


@dataclass
class SourceMap:
    """Where each part of a document starts: ``path -> (line, column)``, both 1-based.

    For JSON the positions are only needed when there is a problem to place, so they
    may be computed on first use from ``pending_text``.
    """

    positions: dict[Path, tuple[int, int]] = field(default_factory=dict)
    pending_text: str | None = None

    def locate(self, path: Path) -> tuple[int, int] | None:
        """The position of ``path``, or of its nearest enclosing part that has one."""
        if self.pending_text is not None:
            text, self.pending_text = self.pending_text, None
            try:
                self.positions = _compose(text)[1].positions
            except (_SourceError, RecursionError):
                pass  # JSON that YAML cannot read: the problems stay unplaced
        for end in range(len(path), -1, -1):
            found = self.positions.get(path[:end])
            if found is not None:
                return found
        return None

    def place(self, problem: Problem) -> Problem:
        """``problem`` with the line and column of its path, when known."""
        found = self.locate(problem.path)
        return problem.located(*found) if found else problem


@dataclass
class Source:
    """A parsed document: its plain data (``None`` if it did not parse) and positions."""

    data: Any
    source_map: SourceMap
    problems: list[Problem]
    format: str  # "json" or "yaml"


class _SourceError(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def _mark(mark: yaml.Mark | None) -> tuple[int, int] | None:
    return (mark.line + 1, mark.column + 1) if mark is not None else None


def _at(node: yaml.Node, path: Path, message: str) -> Problem:
    line, column = _mark(node.start_mark) or (None, None)
    return Problem(message, path, line=line, column=column)


def _unsupported(node: yaml.Node, path: Path) -> Problem:
    return _at(node, path, f"unsupported YAML tag {node.tag!r}: documents hold plain data only")


class _Builder:
    """Turns a composed YAML node tree into plain data plus positions and problems."""

    def __init__(self) -> None:
        self.constructor = yaml.SafeLoader("")  # only its scalar constructors are used
        self.source_map = SourceMap()
        self.problems: list[Problem] = []
        self.nodes = 0
        self.active: set[int] = set()

    def build(self, node: yaml.Node, path: Path) -> Any:
        self.nodes += 1
        if self.nodes > MAX_DOCUMENT_NODES:
            raise _SourceError(_at(node, path, f"the document is too large (over {MAX_DOCUMENT_NODES} values)"))
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node, path)
        if node.tag not in _COLLECTION_TAGS:
            raise _SourceError(_unsupported(node, path))
        if id(node) in self.active:
            raise _SourceError(_at(node, path, "a YAML alias refers to itself"))
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                return self._mapping(node, path)
            return [self._item(child, path + (index,)) for index, child in enumerate(node.value)]
        finally:
            self.active.discard(id(node))

    def _item(self, node: yaml.Node, path: Path) -> Any:
        where = _mark(node.start_mark)
        if where:
            self.source_map.positions.setdefault(path, where)
        return self.build(node, path)

    def _scalar(self, node: yaml.ScalarNode, path: Path) -> Any:
        if node.tag == _STR or node.tag == _TIMESTAMP:
            return node.value
        if node.tag == _BOOL and node.value.lower() not in ("true", "false"):
            return node.value  # YAML 1.2: yes/no/on/off are words (signal names, keys), not booleans
        construct = _SCALARS.get(node.tag)
        if construct is None:
            raise _SourceError(_unsupported(node, path))
        return construct(self.constructor, node)

    def _mapping(self, node: yaml.MappingNode, path: Path) -> dict[str, Any]:
        result: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = self._key(key_node, path)
            child = path + (key,)
            where = _mark(key_node.start_mark) or (0, 0)
            if key in first_line:
                message = f"duplicate key {key!r} (first defined on line {first_line[key]})"
                self.problems.append(_at(key_node, child, message))
                continue
            first_line[key] = where[0]
            self.source_map.positions[child] = where
            result[key] = self.build(value_node, child)
        return result

    def _key(self, node: yaml.Node, path: Path) -> str:
        if node.tag == "tag:yaml.org,2002:merge":
            raise _SourceError(_at(node, path, "YAML merge keys ('<<') are not supported"))
        if not isinstance(node, yaml.ScalarNode):
            self.problems.append(_at(node, path, "a mapping key must be a string, not a list or mapping"))
            return f"<key at line {node.start_mark.line + 1}>"
        value = self._scalar(node, path)
        if isinstance(value, str):
            return value
        kind = "a boolean" if isinstance(value, bool) else "null" if value is None else "a number"
        message = f"key {node.value!r} is read as {kind} ({value!r}) by YAML; quote it to use it as a name"
        self.problems.append(_at(node, path + (str(node.value),), message))
        return str(node.value)


def _compose(text: str) -> tuple[Any, SourceMap, list[Problem]]:
    """Parse YAML ``text``; raises :class:`_SourceError` on syntax errors."""
    try:
        node = yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as error:
        where = _mark(error.problem_mark) or (None, None)
        detail = " ".join(part for part in (error.context, error.problem) if part)
        raise _SourceError(Problem(f"YAML syntax error: {detail}", (), line=where[0], column=where[1])) from None
    except yaml.YAMLError as error:
        raise _SourceError(Problem(f"YAML syntax error: {error}")) from None
    if node is None:
        raise _SourceError(Problem("the document is empty"))
    builder = _Builder()
    builder.source_map.positions[()] = _mark(node.start_mark) or (1, 1)
    data = builder.build(node, ())
    return data, builder.source_map, builder.problems


class _JsonObject(dict[str, Any]):
    """A JSON object that remembers the keys it saw twice."""

    duplicates: list[str]


def _json_object(pairs: list[tuple[str, Any]]) -> _JsonObject:
    result = _JsonObject()
    result.duplicates = []
    for key, value in pairs:
        if key in result:
            result.duplicates.append(key)
        result[key] = value
    return result


def _json_duplicates(value: Any, path: Path) -> list[Problem]:
    found: list[Problem] = []
    if isinstance(value, _JsonObject):
        found += [Problem(f"duplicate key {key!r}", path + (key,)) for key in value.duplicates]
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in items:
        found += _json_duplicates(child, path + (key,))
    return found


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _plain(child) for key, child in value.items()}
    if isinstance(value, list):
        return [_plain(child) for child in value]
    return value


def _read_json(text: str) -> Source | None:
    """The JSON reading of ``text`` if it is a JSON object, else ``None``."""
    duplicated = False

    def pairs_hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal duplicated
        result = dict(pairs)
        duplicated = duplicated or len(result) != len(pairs)
        return result

    try:
        data = json.loads(text, object_pairs_hook=pairs_hook)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    if not duplicated:
        return Source(data, SourceMap(pending_text=text), [], "json")
    data = json.loads(text, object_pairs_hook=_json_object)
    problems = _json_duplicates(data, ())
    try:
        _, source_map, problems = _compose(text)  # the duplicates again, located
    except (_SourceError, RecursionError):
        source_map = SourceMap()
    return Source(_plain(data), source_map, problems, "json")


def _decode(text: str | bytes) -> str:
    if isinstance(text, str):
        return text
    try:
        return text.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise _SourceError(Problem(f"the document is not UTF-8 text (bad byte at offset {error.start})")) from None


def read_source(text: str | bytes) -> Source:
    """Parse ``text`` as JSON (when it is a JSON object) or else YAML, never raising.

    Problems (syntax errors, duplicate keys, non-string keys, a top level that is not a
    mapping) come back in :attr:`Source.problems`, each with its line and column.
    """
    try:
        decoded = _decode(text)
        found = _read_json(decoded)
        if found is None:
            data, source_map, problems = _compose(decoded)
            found = Source(data, source_map, problems, "yaml")
    except _SourceError as error:
        return Source(None, SourceMap(), [error.problem], "yaml")
    except RecursionError:
        return Source(None, SourceMap(), [Problem("the document is nested too deeply")], "yaml")
    if not isinstance(found.data, dict):
        kind = "a list" if isinstance(found.data, list) else f"a {type(found.data).__name__}"
        problem = found.source_map.place(Problem(f"the top level must be a mapping of fields, not {kind}"))
        return Source(None, found.source_map, [*found.problems, problem], found.format)
    return found
