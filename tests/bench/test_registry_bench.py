"""``python -m bench.registry`` can't rot: a tiny series on PostgreSQL through the real
gateway and worker processes, and ``--code`` refuses a directory that is no checkout."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.registry import document, main_async, parse
from interpreter.loader import load_document


def test_the_document_names_two_secrets_per_step() -> None:
    import json

    loaded = load_document(json.dumps(document()))
    assert len(loaded.document.steps) == 3 and not loaded.warnings
    assert sorted(loaded.compiled.secrets) == ["BENCH_TOKEN", "BENCH_URL"]


def test_code_must_be_a_checkout(tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        parse(["--code", str(tmp_path)])


async def test_a_small_series_on_postgres(capsys: pytest.CaptureFixture[str]) -> None:
    rows = await main_async(parse(["--registry", "postgres", "--runs", "4", "--warmup", "1", "--repeat", "1",
                                   "--concurrency", "2"]))
    [row] = rows
    assert row["runs"] == 4 and row["errors"] == 0 and row["registry"] == "postgres"
    assert row["p50_ms"] > 0
    assert '"registry": "postgres"' in capsys.readouterr().out
