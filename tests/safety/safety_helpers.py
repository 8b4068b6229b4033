"""Small tables and an in-process CLI runner for the hostile-input tests."""

from __future__ import annotations

import io
import os
import traceback
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import numpy as np
import pandas as pd
from mrio_workbooks import make_table

COUNTRIES = ["CHN", "JPN", "ROW"]
SECTORS = ["agr", "mfg"]
FD = ["HH", "GOV", "INV"]


def table(seed: int = 11):
    return make_table(COUNTRIES, SECTORS, FD, seed=seed)


def write_wide(directory: Path, seed: int = 11, year: int = 2020) -> Path:
    """A generic-format table (Z.csv, Y.csv, meta.toml) in ``directory``."""
    t = table(seed)
    directory.mkdir(parents=True, exist_ok=True)
    labels = [f"{c}.{s}" for c in t.countries for s in t.sectors]
    fd_labels = [f"{c}.{f}" for c in t.countries for f in t.fd]
    for name, values, columns in (("Z", t.Z, labels), ("Y", t.Y, fd_labels)):
        frame = pd.DataFrame(values, columns=columns)
        frame.insert(0, "label", labels)
        frame.to_csv(directory / f"{name}.csv", index=False, float_format="%.17g")
    (directory / "meta.toml").write_text(f'year = {year}\ninventory_category = "INV"\n')
    return directory


def scale_z(directory: Path, factor: float) -> None:
    """Edit Z.csv in place (the table stays loadable: Y absorbs nothing, x is derived)."""
    frame = pd.read_csv(directory / "Z.csv", dtype={"label": str})
    numeric = frame.columns[1:]
    frame[numeric] = frame[numeric] * factor
    frame.to_csv(directory / "Z.csv", index=False, float_format="%.17g")


def cli(*argv: str) -> tuple[int, str, str]:
    """Run the chainatlas CLI in this process: (exit code, stdout, stderr).

    An exception that escapes ``run`` is what a user would see as a traceback: it is
    returned as exit code -1 with the traceback as stderr, so tests can assert on it.
    """
    from chainatlas.interfaces.cli.main import run

    out, err = io.StringIO(), io.StringIO()
    code = 0
    with redirect_stdout(out), redirect_stderr(err):
        try:
            run([str(a) for a in argv])
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
        except BaseException:  # a traceback is what the tests assert against
            return -1, out.getvalue(), err.getvalue() + traceback.format_exc()
    return code, out.getvalue(), err.getvalue()


def assert_one_line_error(result: tuple[int, str, str], *needles: str) -> str:
    code, _, err = result
    assert code == 2, f"exit {code}: {err}"
    assert "Traceback" not in err, err
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert len(lines) == 1, err
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


def finite(frame: pd.DataFrame) -> bool:
    numeric = frame.select_dtypes("number")
    return bool(np.isfinite(numeric.to_numpy(dtype=float)).all())


def output_times_factor(model, factor_file: str) -> pd.DataFrame:
    """A per-year function reading a side file (like a groups or scenario file) by path."""
    factor = float(Path(factor_file).read_text().strip())
    return pd.DataFrame({"year": [model.year], "value": [factor * float(model.x.sum())]})


def edit_keeping_size_and_mtime(path: Path, old: bytes, new: bytes) -> None:
    """Replace the first ``old`` by ``new`` (same length), then restore the mtime: only the
    content (and the ctime, which no user call can restore) tells the edit apart."""
    assert len(old) == len(new)
    before = path.stat()
    data = path.read_bytes()
    assert old in data, old
    path.write_bytes(data.replace(old, new, 1))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
