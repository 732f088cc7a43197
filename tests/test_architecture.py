"""The house's arrows point one way, down (docs/architecture.md)."""

from __future__ import annotations

import pytest

from tests import architecture


def test_every_import_points_down() -> None:
    assert architecture.violations() == []


def test_no_package_import_loop() -> None:
    assert architecture.cycles() == []


def test_interpreter_and_activities_never_import_each_other() -> None:
    edges = architecture.import_edges()
    assert "activities" not in edges["interpreter"]
    assert "interpreter" not in edges["activities"]


def test_the_check_sees_a_loop_and_an_upward_arrow(monkeypatch: pytest.MonkeyPatch) -> None:
    """The checks themselves: a made-up graph with a loop and an arrow up is caught."""
    fake = {
        "contract": {"runtime": ["contract/x.py:1"]},
        "interpreter": {"activities": ["interpreter/y.py:2"]},
        "activities": {"interpreter": ["activities/z.py:3"]},
        "registry": {}, "runtime": {"contract": ["runtime/w.py:4"]}, "gateway": {}, "cli": {},
    }
    monkeypatch.setattr(architecture, "import_edges", lambda: fake)
    assert architecture.violations() == [
        "contract imports runtime at contract/x.py:1",
        "interpreter imports activities at interpreter/y.py:2",
        "activities imports interpreter at activities/z.py:3",
    ]
    assert ["activities", "interpreter", "activities"] in architecture.cycles()
    assert ["contract", "runtime", "contract"] in architecture.cycles()
