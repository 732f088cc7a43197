"""The DAG of a document: a run order, each step's ancestors and direct dependents.

The interpreter starts a step once every step in its ``after`` has finished, and
validation asks "can ``steps.x`` have finished when ``y`` runs?", which is "is ``x``
an ancestor of ``y``?". Both come from :class:`Plan`.

Documents can hold thousands of steps, so planning stays near linear: Kahn's
algorithm with a heap (document order breaks ties), ancestor sets kept as integer
bitmasks (one bit per step, unions are a single ``|``) and decoded into frozensets
only when someone reads them. Cycles are found with Tarjan's algorithm and each is
reported once, as the shortest loop through its first step in document order.
"""

from __future__ import annotations

import difflib
import heapq
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from contract.document import Step
from contract.problems import DocumentInvalid, Problem


class _Ancestors(Mapping[str, frozenset[str]]):
    """``step -> frozenset of ancestors``, stored as bitmasks and decoded on first read."""

    def __init__(self, ids: Sequence[str], bits: Sequence[int]) -> None:
        self._ids = tuple(ids)
        self._index = {sid: i for i, sid in enumerate(ids)}
        self._bits = tuple(bits)
        self._decoded: dict[str, frozenset[str]] = {}

    def __getitem__(self, step: str) -> frozenset[str]:
        found = self._decoded.get(step)
        if found is None:
            mask, members = self._bits[self._index[step]], []
            while mask:
                low = mask & -mask
                members.append(self._ids[low.bit_length() - 1])
                mask ^= low
            found = self._decoded[step] = frozenset(members)
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids)

    def __len__(self) -> int:
        return len(self._ids)

    def contains(self, step: str, ancestor: str) -> bool:
        """``ancestor in self[step]`` without decoding the set."""
        if step not in self._index or ancestor not in self._index:
            return False
        return bool(self._bits[self._index[step]] >> self._index[ancestor] & 1)


@dataclass(frozen=True)
class Plan:
    """How the steps of a valid document relate.

    Attributes:
        order: a topological order; among steps that are ready together, document order.
        ancestors: every step that must finish (transitively, through ``after``) first.
        dependents: the steps that list each step directly in their ``after``.
    """

    order: tuple[str, ...]
    ancestors: Mapping[str, frozenset[str]]
    dependents: Mapping[str, tuple[str, ...]]

    def is_ancestor(self, ancestor: str, step: str) -> bool:
        """True when ``ancestor`` always finishes before ``step`` starts."""
        if isinstance(self.ancestors, _Ancestors):
            return self.ancestors.contains(step, ancestor)
        return ancestor in self.ancestors.get(step, frozenset())


def _suggest(name: str, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


class _Graph:
    """Indexes of the ``after`` edges, with the problems found while reading them."""

    def __init__(self, after: Mapping[str, Sequence[object]]) -> None:
        self.ids = list(after)
        self.index = {sid: i for i, sid in enumerate(self.ids)}
        self.problems: list[Problem] = []
        self.preds: list[list[int]] = []
        self.succs: list[list[int]] = [[] for _ in self.ids]
        self.edge_at: dict[tuple[int, int], int] = {}  # (step, pred) -> position in after
        for i, sid in enumerate(self.ids):
            row: list[int] = []
            for position, dep in enumerate(after[sid]):
                j = self._edge(sid, dep, position) if isinstance(dep, str) else None
                if j is not None and (i, j) not in self.edge_at:
                    self.edge_at[(i, j)] = position
                    row.append(j)
                    self.succs[j].append(i)
            self.preds.append(row)

    def _edge(self, sid: str, dep: str, position: int) -> int | None:
        path = ("steps", sid, "after", position)
        if dep == sid:
            self.problems.append(Problem(f"step {sid!r} lists itself in 'after'", path))
            return None
        if dep not in self.index:
            message = f"'after' names unknown step {dep!r}{_suggest(dep, self.ids)}"
            self.problems.append(Problem(message, path))
            return None
        return self.index[dep]

    def sort(self) -> tuple[list[int], list[int]]:
        """Kahn's algorithm: the order of the acyclic part and each step's ancestor bits."""
        waiting = [len(row) for row in self.preds]
        ready = [i for i, count in enumerate(waiting) if count == 0]
        heapq.heapify(ready)
        order: list[int] = []
        bits = [0] * len(self.ids)
        while ready:
            i = heapq.heappop(ready)
            order.append(i)
            carried = bits[i] | (1 << i)
            for j in self.succs[i]:
                bits[j] |= carried
                waiting[j] -= 1
                if waiting[j] == 0:
                    heapq.heappush(ready, j)
        return order, bits

    def reach_back(self, i: int) -> int:
        """Ancestor bits of ``i`` by search; only used for steps stuck behind a cycle."""
        seen, stack = 0, list(self.preds[i])
        while stack:
            j = stack.pop()
            if not seen >> j & 1:
                seen |= 1 << j
                stack.extend(self.preds[j])
        return seen & ~(1 << i)

    def cycles(self, stuck: list[int]) -> list[Problem]:
        """One problem per cycle among ``stuck`` steps, in document order."""
        components = sorted(self._components(stuck), key=min)
        return [self._cycle_problem(set(component)) for component in components]

    def _components(self, nodes: list[int]) -> list[list[int]]:
        """Strongly connected components of two or more steps (Tarjan, iterative)."""
        inside = set(nodes)
        number: dict[int, int] = {}
        low: dict[int, int] = {}
        stack: list[int] = []
        on_stack: set[int] = set()
        found: list[list[int]] = []

        def visit(v: int) -> None:
            number[v] = low[v] = len(number)
            stack.append(v)
            on_stack.add(v)
            work.append((v, iter(self.succs[v])))

        for root in nodes:
            if root in number:
                continue
            work: list[tuple[int, Iterator[int]]] = []
            visit(root)
            while work:
                v, successors = work[-1]
                for w in successors:
                    if w in inside and w not in number:
                        visit(w)
                        break
                    if w in on_stack:
                        low[v] = min(low[v], number[w])
                else:
                    work.pop()
                    if work:
                        low[work[-1][0]] = min(low[work[-1][0]], low[v])
                    if low[v] == number[v]:
                        component: list[int] = []
                        while not component or component[-1] != v:
                            component.append(stack.pop())
                            on_stack.discard(component[-1])
                        if len(component) > 1:
                            found.append(component)
        return found

    def _cycle_problem(self, component: set[int]) -> Problem:
        """The shortest loop through the component's first step, by breadth-first search."""
        start = min(component)
        parent: dict[int, int] = {start: start}
        queue, closing = [start], start
        for v in queue:
            if start in self.succs[v]:
                closing = v
                break
            for w in self.succs[v]:
                if w in component and w not in parent:
                    parent[w] = v
                    queue.append(w)
        loop = [closing]
        while loop[-1] != start:
            loop.append(parent[loop[-1]])
        names = [self.ids[i] for i in reversed(loop)] + [self.ids[start]]
        path = ("steps", self.ids[start], "after", self.edge_at[(start, closing)])
        return Problem("cycle: " + " -> ".join(names), path)


@dataclass(frozen=True)
class GraphCheck:
    """What :func:`check_graph` learned, even from a broken graph.

    ``plan`` covers every step; when there are cycles its ``order`` leaves out the steps
    caught in or behind them, and their ancestors come from a plain search.
    """

    plan: Plan
    problems: list[Problem]


def check_graph(after: Mapping[str, Sequence[object]]) -> GraphCheck:
    """Plan the graph given each step's ``after`` list, collecting every problem.

    Non-string entries are skipped here (shape validation reports them), so this also
    runs on documents whose shape is broken.
    """
    graph = _Graph(after)
    order, bits = graph.sort()
    problems = list(graph.problems)
    if len(order) < len(graph.ids):
        placed = set(order)
        stuck = [i for i in range(len(graph.ids)) if i not in placed]
        problems += graph.cycles(stuck)
        for i in stuck:
            bits[i] = graph.reach_back(i)
    ids = graph.ids
    plan = Plan(
        order=tuple(ids[i] for i in order),
        ancestors=_Ancestors(ids, bits),
        dependents=MappingProxyType({sid: tuple(ids[j] for j in graph.succs[i]) for i, sid in enumerate(ids)}),
    )
    return GraphCheck(plan, problems)


def plan_graph(steps: Mapping[str, Step]) -> Plan:
    """Plan a document's steps.

    Raises:
        DocumentInvalid: when ``after`` names an unknown step or the steps form a cycle.
    """
    checked = check_graph({sid: step.after for sid, step in steps.items()})
    if checked.problems:
        raise DocumentInvalid(checked.problems)
    return checked.plan
