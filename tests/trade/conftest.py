"""Fixtures for the trade tests: shared BACI/Atlas extracts, concordances, small stores."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from trade_helpers import require_shared, write_baci, write_country_codes

BACI_FILE = "data/baci/BACI_HS92_Y2021_V202301_exporters_AFG_ZAF.csv"
LITHIUM_FILE = "data/atlas_trade/atlas_hs92_283691_lithium_carbonate_2015_2018.csv"


@pytest.fixture(scope="session")
def concordances_dir() -> Path:
    return require_shared("data/concordances")


@pytest.fixture(scope="session")
def baci_file() -> Path:
    return require_shared(BACI_FILE)


@pytest.fixture(scope="session")
def lithium_file() -> Path:
    return require_shared(LITHIUM_FILE)


@pytest.fixture(scope="session")
def baci_rows(baci_file) -> list[dict]:
    """The raw BACI extract read independently with the csv module."""
    with open(baci_file, newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="session")
def lithium_rows(lithium_file) -> list[dict]:
    with open(lithium_file, newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="session")
def baci_store(tmp_path_factory, baci_file, concordances_dir):
    """The BACI extract loaded with BACI's 2023 Italy code mapped (380 = ITA)."""
    from chainatlas.trade import TradeStore

    db = tmp_path_factory.mktemp("baci") / "trade.duckdb"
    store = TradeStore(db)
    report = store.load(
        "baci", baci_file.parent, concordances=concordances_dir, country_overrides={380: "ITA"}
    )
    store.report = report
    yield store
    store.close()


@pytest.fixture(scope="session")
def lithium_store(tmp_path_factory, lithium_file, concordances_dir):
    from chainatlas.trade import TradeStore

    db = tmp_path_factory.mktemp("lithium") / "trade.duckdb"
    store = TradeStore(db)
    store.report = store.load("atlas", lithium_file, concordances=concordances_dir)
    yield store
    store.close()


@pytest.fixture
def make_store(tmp_path, concordances_dir):
    """Build a store from BACI-format rows (country codes 1..n = the given ISO3 codes)."""
    from chainatlas.trade import TradeStore

    stores = []

    def build(rows: list[tuple], codes: dict[int, str], vintage: str = "HS17") -> TradeStore:
        """One BACI_<vintage>_Y<year>_V202301.csv per year of ``rows``."""
        folder = tmp_path / f"src{len(stores)}"
        folder.mkdir()
        for year in sorted({row[0] for row in rows}):
            write_baci(
                folder / f"BACI_{vintage}_Y{year}_V202301.csv",
                [row for row in rows if row[0] == year],
            )
        write_country_codes(folder / "country_codes_V202301.csv", codes)
        store = TradeStore(tmp_path / f"db{len(stores)}" / "trade.duckdb")
        store.load("baci", folder, concordances=concordances_dir)
        stores.append(store)
        return store

    yield build
    for store in stores:
        store.close()
