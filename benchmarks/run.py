"""Run every benchmark (benchmarks/bench_*.py) and print seconds, peak memory and ratios.

Usage: ``python benchmarks/run.py [name ...]`` (names without the bench_ prefix). Each module
defines ``main() -> list[dict]``; a row has ``name``, ``seconds``, ``peak_mb`` and optionally
``reference`` (a tool name), ``reference_seconds`` and ``target_seconds``. Each benchmark runs
in its own process so peak memory is its own.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def run_one(module: Path) -> list[dict]:
    code = (
        "import json, sys, resource, importlib.util\n"
        f"spec = importlib.util.spec_from_file_location('bench', {str(module)!r})\n"
        "mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)\n"
        "rows = mod.main()\n"
        "print('@@ROWS@@' + json.dumps(rows))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if proc.returncode != 0:
        return [{"name": module.stem, "error": proc.stderr.strip().splitlines()[-1:]}]
    for line in proc.stdout.splitlines():
        if line.startswith("@@ROWS@@"):
            return json.loads(line[len("@@ROWS@@") :])
    return [{"name": module.stem, "error": "no result rows"}]


def main(argv: list[str]) -> int:
    modules = sorted(HERE.glob("bench_*.py"))
    if argv:
        modules = [m for m in modules if m.stem.removeprefix("bench_") in argv]
    header = (
        f"{'benchmark':<52} {'seconds':>9} {'peak MB':>9} {'target s':>9} {'ref s':>8} {'ratio':>7}"
    )
    print(header)
    print("-" * len(header))
    failed = False
    for module in modules:
        for row in run_one(module):
            if "error" in row:
                failed = True
                print(f"{row['name']:<52} ERROR {row['error']}")
                continue
            ref = row.get("reference_seconds")
            ratio = f"{ref / row['seconds']:.1f}x" if ref else ""
            target = row.get("target_seconds")
            ok = "" if target is None or row["seconds"] <= target else "  OVER TARGET"
            name = row["name"] + (f" (vs {row['reference']})" if row.get("reference") else "")
            print(
                f"{name:<52} {row['seconds']:>9.3f} {row.get('peak_mb', float('nan')):>9.0f} "
                f"{target if target is not None else '':>9} {ref if ref else '':>8} {ratio:>7}{ok}"
            )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
