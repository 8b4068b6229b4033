"""All indicator sets for all 17 WIOD 2013 years (1995–2011), as ``chainatlas indicators``
computes them: participation (WWYZ + Koopman/WWZ + ADB/bm-adb), length, upstreamness, vax,
fva-origin (member-sum + bloc), linkage, dependence, regional, servicification, hubs, with the
groups NEA, ASEAN-9, EU, USMCA. Loading the tables is included (it is part of a panel run).

Target: ≤ 90 s on 2 cores, peak memory < 3 GB. Rows: one per phase; peak_mb is the process's
peak RSS so far.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _util import measure

import chainatlas
from chainatlas.indicators import SET_NAMES, indicator_panel, write_results

ROOT = Path(__file__).resolve().parents[1]
WIOD = Path(os.environ.get("CHAINATLAS_SHARED", ROOT.parent / "shared")) / "data" / "wiod2013"
YEARS = list(range(1995, 2012))
GROUPS = ["NEA", "ASEAN-9", "EU", "USMCA"]


def main() -> list[dict]:
    results = {}

    def run_panel() -> None:
        nonlocal results
        results = indicator_panel(
            YEARS,
            lambda year: chainatlas.load("wiod2013", WIOD, year),
            list(SET_NAMES),
            GROUPS,
        )

    cpu_start = time.process_time()
    seconds, peak = measure(run_panel)
    cpu_seconds = time.process_time() - cpu_start  # all threads; wall time is noisy when shared
    rows = [
        {
            "name": f"indicators: all {len(SET_NAMES)} sets x {len(YEARS)} WIOD years",
            "seconds": seconds,
            "peak_mb": peak,
            "target_seconds": 90.0,
            "cpu_seconds": cpu_seconds,
            "rows_written": int(sum(len(f) for f in results.values())),
        }
    ]
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        write_results(results, tmp)
        write_seconds = time.perf_counter() - start
    _, peak = measure(lambda: None)
    rows.append(
        {"name": "indicators: write Parquet + results.duckdb", "seconds": write_seconds,
         "peak_mb": peak}
    )  # fmt: skip
    return rows


if __name__ == "__main__":
    for row in main():
        print(row)
