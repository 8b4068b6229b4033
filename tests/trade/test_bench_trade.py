"""The trade benchmark runs end to end at a tiny size (keeps benchmarks/bench_trade.py alive)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_trade.py"


def test_bench_trade_quick(monkeypatch, concordances_dir):
    monkeypatch.setenv("CHAINATLAS_BENCH_TRADE_ROWS", "20000")
    monkeypatch.setenv("CHAINATLAS_CONCORDANCES", str(concordances_dir))
    spec = importlib.util.spec_from_file_location("bench_trade_quick", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rows = module.main()
    names = [r["name"] for r in rows]
    assert any(n.startswith("trade load") for n in names)
    assert any(n.startswith("vulnerability screen") for n in names)
    assert all(r["seconds"] > 0 and r["peak_mb"] > 0 for r in rows)
    screened = next(r for r in rows if r["name"].startswith("vulnerability"))
    assert screened["products_screened"] > 0
