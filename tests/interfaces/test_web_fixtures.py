"""A results directory shaped like the WIOD panel outputs, for the web atlas tests.

(No tests here: imported by test_web.py and test_browser_atlas.py.)

participation.parquet — like ``chainatlas indicators``: year 1995–2011, level country /
country_sector, 41 WIOD economies (+ NEA group), 35 sectors, 10 indicators: 251,940 rows.
decompose/wwz_country.parquet — like ``chainatlas decompose --level bilateral``.
scenario/impacts.parquet — a table without years. notes.parquet — not tidy (skipped).
results.duckdb — one more table that has no Parquet file.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from wiod_labels import WIOD2013_COUNTRIES

COUNTRIES = WIOD2013_COUNTRIES
SECTORS = [f"c{i}" for i in range(1, 36)]
YEARS = list(range(1995, 2012))
INDICATORS = [
    "gvc_forward",
    "gvc_backward",
    "gvc_forward_simple",
    "gvc_forward_complex",
    "gvc_backward_simple",
    "gvc_backward_complex",
    "plv",
    "ply",
    "gvc_position",
    "upstreamness",
]


def participation_frame() -> pd.DataFrame:
    rng = np.random.default_rng(6)
    entities = [("country", c, None) for c in [*COUNTRIES, "NEA"]]
    entities += [("country_sector", c, s) for c in COUNTRIES for s in SECTORS]
    base = pd.DataFrame(entities, columns=["level", "country", "sector"])
    frames = []
    for year in YEARS:
        for indicator in INDICATORS:
            part = base.copy()
            part.insert(0, "year", year)
            part["indicator"] = indicator
            part["value"] = rng.random(len(base))
            frames.append(part)
    return pd.concat(frames, ignore_index=True)


def make_results_dir(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    participation_frame().to_parquet(root / "participation.parquet", index=False)
    rng = np.random.default_rng(7)
    pairs = [(e, i) for e in COUNTRIES for i in COUNTRIES if e != i]
    rows = [
        (year, e, i, term, float(rng.random() * 100))
        for year in (2010, 2011)
        for e, i in pairs[:200]
        for term in ("DVA_FIN", "DVA_INT", "FVA_FIN")
    ]
    (root / "decompose").mkdir(exist_ok=True)
    pd.DataFrame(rows, columns=["year", "exporter", "importer", "term", "value"]).to_parquet(
        root / "decompose" / "wwz_country.parquet", index=False
    )
    (root / "scenario").mkdir(exist_ok=True)
    pd.DataFrame(
        {
            "country": ["CHN", "USA", "JPN"],
            "indicator": ["va_change"] * 3,
            "value": [-1.5, -0.4, -0.2],
        }
    ).to_parquet(root / "scenario" / "impacts.parquet", index=False)
    pd.DataFrame({"note": ["not a tidy table"]}).to_parquet(root / "notes.parquet", index=False)
    with duckdb.connect(str(root / "results.duckdb")) as con:
        con.execute(
            "CREATE TABLE vax_db AS SELECT * FROM (VALUES (2011, 'CHN', 'vax', 1.0), "
            "(2011, 'USA', 'vax', 2.0)) t(year, country, indicator, value)"
        )
    return root
