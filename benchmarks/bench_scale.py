"""Scale-out benchmarks (issue 7): panels local vs Dask, an EXIOBASE-size WWZ, a scenario sweep.

Rows:

* ``panel local`` / ``panel dask ...``: the WIOD WWZ + BM (source) panel at sector level,
  one unit per (method, year), written as partitioned Parquet. Dask runs on 2 single-threaded
  worker processes; the local run uses the same 2 cores through BLAS threads. The Dask row's
  target is 1.15 × the local time (overhead under 15%). ``dask local:2`` includes starting
  the cluster; ``dask running cluster`` reuses one.
* ``exiobase-size wwz``: WWZ 16 terms of a synthetic 49 × 200 table (GN = 9,800) by exporter
  batches under ``--memory-limit`` (run in its own process so its peak is its own).
* ``supply-cut sweep``: N single-sector supply cuts on WIOD 2011 through the scenario batch
  API (Sherman–Morrison–Woodbury), in (year, batch) units on 2 Dask workers and locally.

Environment variables shrink the runs for a quick check:
``CHAINATLAS_BENCH_YEARS`` (default 1995-2011), ``CHAINATLAS_BENCH_EXIO`` (GxN, default
49x200), ``CHAINATLAS_BENCH_EXIO_LIMIT`` (default 3GB: forces several exporter batches),
``CHAINATLAS_BENCH_SCENARIOS`` (default 10000), ``CHAINATLAS_BENCH_WORKERS`` (default 2),
``CHAINATLAS_BENCH_REPEAT`` (default 3: best of 3 for the panel rows),
``CHAINATLAS_BENCH_SIZES`` (default adb:73x35,icio:81x50: one synthetic year of each size on
the standard path, for the per-year cost model in docs/scaling.md),
``CHAINATLAS_BENCH_SKIP`` (comma list of sizes,panel,exio,sweep).
"""

from __future__ import annotations

import json
import logging
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WIOD = Path(os.environ.get("CHAINATLAS_SHARED", ROOT.parent / "shared")) / "data" / "wiod2013"

YEARS = os.environ.get("CHAINATLAS_BENCH_YEARS", "1995-2011")
EXIO = os.environ.get("CHAINATLAS_BENCH_EXIO", "49x200")
EXIO_LIMIT = os.environ.get("CHAINATLAS_BENCH_EXIO_LIMIT", "3GB")
SCENARIOS = int(os.environ.get("CHAINATLAS_BENCH_SCENARIOS", "10000"))
WORKERS = int(os.environ.get("CHAINATLAS_BENCH_WORKERS", "2"))
REPEAT = int(os.environ.get("CHAINATLAS_BENCH_REPEAT", "3"))
SIZES = os.environ.get("CHAINATLAS_BENCH_SIZES", "adb:73x35,icio:81x50")
SKIP = set(filter(None, os.environ.get("CHAINATLAS_BENCH_SKIP", "").split(",")))


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker_peaks_mb(client) -> list[float]:
    def peak() -> float:
        import resource as r

        return r.getrusage(r.RUSAGE_SELF).ru_maxrss / 1024

    return sorted(client.run(peak).values())


def panel_units():
    from chainatlas.execution import decompose_units
    from chainatlas.interfaces.cli.options import parse_years

    years = parse_years(YEARS)
    # one unit per year runs both methods on the table (and the B) it loaded
    return years, decompose_units("wiod2013", WIOD, years, ["wwz", "bm-source"], "sector")


def bench_panel(cluster_address: str, client) -> list[dict]:
    """Best of REPEAT runs each (the first local run also pays imports and a cold disk cache);
    the cold Dask row (cluster start included) runs once."""
    import numpy as np

    from chainatlas.execution import decompose_task, run_units

    years, units = panel_units()

    def timed(label: str, **options):
        best, result = float("inf"), None
        for attempt in range(1 if label == "cold" else REPEAT):
            out = Path(tmp) / f"{label}{attempt}"
            start = time.perf_counter()
            result = run_units(decompose_task, units, out_dir=out, progress=False, **options)
            best = min(best, time.perf_counter() - start)
        return best, result

    with tempfile.TemporaryDirectory() as tmp:
        local_seconds, local = timed("local")
        per_year = sum(m["seconds"] for m in local.store.markers()) / len(years)
        cold_seconds, _ = timed("cold", backend="dask", scheduler=f"local:{WORKERS}")
        warm_seconds, warm = timed("warm", backend="dask", scheduler=cluster_address)
        keys = ["year", "exporter", "sector", "term"]
        a = local.read("wwz_sector").sort_values(keys)["value"].to_numpy()
        b = warm.read("wwz_sector").sort_values(keys)["value"].to_numpy()
        gap = float(np.abs(a - b).max() / np.abs(a).max())
    target = round(1.15 * local_seconds, 2)
    return [
        {
            "name": f"panel local wwz+bm {len(years)} years (sector level)",
            "seconds": local_seconds,
            "peak_mb": peak_mb(),
            "per_year_seconds": round(per_year, 3),
        },
        {
            "name": f"panel dask local:{WORKERS} (incl. cluster start)",
            "seconds": cold_seconds,
            "peak_mb": peak_mb(),
            "note": "includes starting the cluster (a fixed ~2-3 s); the 15% overhead target "
            "applies to the running-cluster row",
        },
        {
            "name": f"panel dask {WORKERS} workers (running cluster)",
            "seconds": warm_seconds,
            "peak_mb": peak_mb(),
            "worker_peak_mb": worker_peaks_mb(client),
            "target_seconds": target,
            "max_relative_gap_vs_local": gap,
        },
    ]


def supply_cuts(n: int) -> list[dict]:
    """n single-sector cuts: every (supplier country, sector) at cut depths 10%..100%."""
    import chainatlas

    model = chainatlas.load("wiod2013", WIOD, year=2011)
    depths = [-0.1 * k for k in range(1, 11)]
    cuts = []
    for depth in depths:
        for country in model.countries:
            for sector in model.sectors:
                if len(cuts) == n:
                    return cuts
                cuts.append(
                    {
                        "id": f"{country}-{sector}-{-depth:.1f}",
                        "suppliers": country,
                        "supplier_sectors": sector,
                        "change": round(depth, 2),
                    }
                )
    return cuts


def bench_sweep(cluster_address: str) -> list[dict]:
    from chainatlas.execution import run_per_year

    cuts = supply_cuts(SCENARIOS)
    per_batch = max(1, -(-len(cuts) // (WORKERS * 5)))
    batches = [{"cuts": cuts[i : i + per_batch]} for i in range(0, len(cuts), per_batch)]
    rows = []
    for label, backend, scheduler in (
        ("local", "local", None),
        (f"dask {WORKERS} workers", "dask", cluster_address),
    ):
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            result = run_per_year(
                "chainatlas.scenarios.batch:run_supply_cuts",
                task="supply_cuts",
                source="wiod2013",
                path=WIOD,
                years=[2011],
                batches=batches,
                backend=backend,
                scheduler=scheduler,
                out_dir=tmp,
                progress=False,
            )
            seconds = time.perf_counter() - start
            frame = result.read("supply_cuts")
            assert frame["scenario"].nunique() == len(cuts)
        rows.append(
            {
                "name": f"supply-cut sweep {len(cuts)} scenarios, {label}",
                "seconds": seconds,
                "peak_mb": peak_mb(),
                "scenarios_per_second": round(len(cuts) / seconds, 1),
                "batches": len(batches),
            }
        )
    return rows


def bench_exio() -> dict:
    """Runs in a child process: its peak RSS is the EXIOBASE-size run's alone."""
    import numpy as np

    from chainatlas.execution import wwz_batched, wwz_memory_plan
    from chainatlas.execution.memory import parse_memory_limit, wwz_standard_bytes
    from chainatlas.execution.synthetic import synthetic_table

    G, N = (int(p) for p in EXIO.lower().split("x"))
    limit = parse_memory_limit(EXIO_LIMIT)
    start = time.perf_counter()
    model = synthetic_table(G, N, seed=7)
    build = time.perf_counter() - start
    after_table = peak_mb()
    plan = wwz_memory_plan(G, N, limit, F=model.F)
    start = time.perf_counter()
    result = wwz_batched(model, limit)
    frame = result.to_frame("sector")
    seconds = time.perf_counter() - start
    total = sum(result.terms[name] for name in result.terms)
    gap = float(np.abs(total - model.exports).max() / np.abs(model.exports).max())
    return {
        "name": f"exiobase-size wwz {G}x{N} (GN={G * N}), limit {EXIO_LIMIT}",
        "seconds": seconds,
        "peak_mb": peak_mb(),
        "table_build_seconds": round(build, 2),
        "peak_after_table_mb": round(after_table),
        "exporter_batches": plan.batches,
        "exporters_per_batch": plan.exporters_per_batch,
        "estimated_peak_mb": round(plan.peak_bytes / 1e6),
        "standard_wwz_estimate_mb": round(wwz_standard_bytes(G, N, model.F) / 1e6),
        "rows_sector_level": len(frame),
        "terms_sum_to_exports_gap": gap,
        "target_peak_mb": 16000,
    }


def bench_size(label: str) -> dict:
    """Child process: one year's WWZ + BM (source) on a synthetic table of a published size."""
    from chainatlas.decompositions import decomposition
    from chainatlas.execution.synthetic import synthetic_table

    name, _, shape = label.partition(":")
    G, N = (int(p) for p in shape.lower().split("x"))
    model = synthetic_table(G, N, seed=11)
    start = time.perf_counter()
    wwz_frame = decomposition(model, "wwz").to_frame("sector")
    wwz_seconds = time.perf_counter() - start
    start = time.perf_counter()
    bm_frame = decomposition(model, "bm-source").to_frame("sector")
    bm_seconds = time.perf_counter() - start
    return {
        "name": f"{name}-size year wwz+bm {G}x{N} (GN={G * N}), standard path",
        "seconds": wwz_seconds + bm_seconds,
        "peak_mb": peak_mb(),
        "wwz_seconds": round(wwz_seconds, 2),
        "bm_source_seconds": round(bm_seconds, 2),
        "rows": len(wwz_frame) + len(bm_frame),
    }


def child(*args: str) -> dict:
    proc = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, cwd=ROOT
    )
    if proc.returncode != 0:
        return {"name": " ".join(args), "error": proc.stderr.strip()[-500:]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> list[dict]:
    rows: list[dict] = []
    if "sizes" not in SKIP:
        rows += [child("size", label) for label in SIZES.split(",") if label]
    if "exio" not in SKIP:
        rows.append(child("exio"))
    if not {"panel", "sweep"} <= SKIP:
        from distributed import Client, LocalCluster

        with (
            LocalCluster(
                n_workers=WORKERS,
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",
                silence_logs=logging.ERROR,
            ) as cluster,
            Client(cluster) as client,
        ):
            if "panel" not in SKIP:
                rows += bench_panel(cluster.scheduler_address, client)
            if "sweep" not in SKIP:
                rows += bench_sweep(cluster.scheduler_address)
    return rows


if __name__ == "__main__":
    if sys.argv[1:] == ["exio"]:
        print(json.dumps(bench_exio()))
    elif sys.argv[1:2] == ["size"]:
        print(json.dumps(bench_size(sys.argv[2])))
    else:
        for row in main():
            print(json.dumps(row))
