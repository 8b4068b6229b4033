"""Trade store benchmark on a synthetic BACI-shaped year (METHODS §10 workloads).

Generates (with DuckDB, never through pandas) BACI-format CSVs for two years: by default
~11 million rows per year, ~5,000 HS17 products, 220 countries, Pareto-tailed values with
exporter-size effects. Then times:

* loading one year into the DuckDB+Parquet store (target <= 60 s),
* the full vulnerability screen for one importer and two years (target <= 30 s),
* all exporters' top-3 counts over the two years (target <= 30 s).

Peak memory (whole process, target < 4 GB) is reported with each row. Set
``CHAINATLAS_BENCH_TRADE_ROWS`` (rows per year, e.g. 500000) for a quick run, and
``CHAINATLAS_CONCORDANCES`` if the UNSD tables are not in ../shared/data/concordances.
"""

from __future__ import annotations

import itertools
import os
import sys
import tempfile
import time
from pathlib import Path

import duckdb

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))

from _util import measure  # noqa: E402

ROWS = int(os.environ.get("CHAINATLAS_BENCH_TRADE_ROWS", "11000000"))
N_PRODUCTS = 5000
N_COUNTRIES = 220


def _concordances() -> Path:
    env = os.environ.get("CHAINATLAS_CONCORDANCES")
    return Path(env) if env else HERE.parent.parent / "shared" / "data" / "concordances"


def _country_codes(path: Path) -> list[str]:
    letters = ("".join(t) for t in itertools.product("ABDEFGHJKLMNPQRSTVWXYZ", repeat=3))
    codes = ["CHN", "USA", "DEU", "JPN", "KOR"]
    codes += [c for c in itertools.islice(letters, 400) if c not in codes][: N_COUNTRIES - 5]
    lines = [
        "country_code,country_name_abbreviation,country_name_full,iso_2digit_alpha,iso_3digit_alpha"
    ]
    lines += [f"{i + 1},{c},{c},{c[:2]},{c}" for i, c in enumerate(codes)]
    path.write_bytes(("\n".join(lines) + "\n").encode("latin-1"))
    return codes


def generate_year(folder: Path, year: int, products: list[str], rows: int) -> Path:
    """One BACI-format CSV: unique (i, j, k) triples, heavy-tailed values."""
    target = folder / f"BACI_HS17_Y{year}_V202301.csv"
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = false")
    con.execute(
        "CREATE TABLE prod AS SELECT * FROM (SELECT unnest(?) AS k) "
        "POSITIONAL JOIN (SELECT range AS pid FROM range(?))",
        [products, len(products)],
    )
    n_pairs = N_COUNTRIES * (N_COUNTRIES - 1)
    per_product = max(1, rows // len(products))
    con.execute(f"SELECT setseed({(year % 100) / 100})")
    con.execute(f"""
        COPY (
          WITH r AS (
            SELECT range AS rid, range % {len(products)} AS pid,
                   range // {len(products)} AS slot FROM range({per_product * len(products)})),
          pairs AS (
            SELECT rid, pid, (slot * 7919 + pid * 104729) % {n_pairs} AS pair FROM r),
          ij AS (
            SELECT pid, pair // {N_COUNTRIES - 1} AS i0, pair % {N_COUNTRIES - 1} AS j0
            FROM pairs)
          SELECT {year} AS t, i0 + 1 AS i, (CASE WHEN j0 >= i0 THEN j0 + 1 ELSE j0 END) + 1 AS j,
                 ltrim(prod.k, '0') AS k,
                 round(0.01 * pow(random() + 1e-9, -1.0 / 1.1) * 60.0 / pow(i0 + 1, 0.7), 3)
                   AS v,
                 CASE WHEN random() < 0.03 THEN 'NA'
                      ELSE printf('%13.3f', 10 * pow(random() + 1e-9, -0.8)) END AS q
          FROM ij JOIN prod USING (pid)
        ) TO '{target}' (HEADER, DELIMITER ',', QUOTE '"')""")
    con.close()
    return target


def main() -> list[dict]:
    from chainatlas.trade import (
        TradeStore,
        export_centrality,
        load_concordances,
        topk_counts,
        vulnerability_screen,
    )

    conc = load_concordances(_concordances())
    classes = conc.classify("HS17")
    products = classes["hs6"].head(N_PRODUCTS).tolist()
    rows_out: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="bench_trade_") as tmp:
        tmp_path = Path(tmp)
        src = tmp_path / "baci"
        src.mkdir()
        _country_codes(src / "country_codes_V202301.csv")
        start = time.perf_counter()
        first = generate_year(src, 2017, products, ROWS)
        generated = time.perf_counter() - start
        size_mb = first.stat().st_size / 1e6
        label = f"{ROWS / 1e6:.1f}M rows"

        store = TradeStore(tmp_path / "trade.duckdb")
        seconds, peak = measure(
            lambda: store.load(
                "baci", first, concordances=conc, country_codes=src / "country_codes_V202301.csv"
            )
        )
        rows_out.append(
            {
                "name": f"trade load 1 year ({label}, {size_mb:,.0f} MB csv)",
                "seconds": seconds,
                "peak_mb": peak,
                "target_seconds": 60,
                "generate_seconds": generated,
            }
        )
        first.unlink()
        second = generate_year(src, 2018, products, ROWS)
        store.load(
            "baci", second, concordances=conc, country_codes=src / "country_codes_V202301.csv"
        )
        second.unlink()

        holder: dict = {}
        seconds, peak = measure(
            lambda: holder.setdefault("screen", vulnerability_screen(store, "CHN", [2017, 2018]))
        )
        screen = holder["screen"]
        rows_out.append(
            {
                "name": f"vulnerability screen CHN 2017-18 ({label}/yr)",
                "seconds": seconds,
                "peak_mb": peak,
                "target_seconds": 30,
                "products_screened": len(screen.products),
            }
        )
        seconds, peak = measure(
            lambda: holder.setdefault("topk", topk_counts(store, [2017, 2018], k=3))
        )
        rows_out.append(
            {
                "name": f"top-3 counts all exporters 2017-18 ({label}/yr)",
                "seconds": seconds,
                "peak_mb": peak,
                "target_seconds": 30,
                "exporters": len(holder["topk"]),
            }
        )
        # Network variants of §10.4 (no target): every product's network solved at once.
        for variant in ("hits", "pagerank"):
            seconds, peak = measure(
                lambda variant=variant: export_centrality(store, [2017], variant=variant)
            )
            rows_out.append(
                {
                    "name": f"centrality {variant} all products 2017 ({label})",
                    "seconds": seconds,
                    "peak_mb": peak,
                }
            )
        store.close()
    return rows_out


if __name__ == "__main__":
    for row in main():
        print(row)
