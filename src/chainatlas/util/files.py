"""Atomic file writes and table writers (a failed write never leaves a half-written file)."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

from chainatlas.errors import ChainAtlasError
from chainatlas.util.lazy import lazy_module

pd = lazy_module("pandas")  # imported on first use (util/lazy.py)


def atomic_write(path: str | os.PathLike[str], writer: Callable[[Path], None]) -> Path:
    """Write through a temporary file in the same directory, then rename over ``path``.

    A failure leaves whatever was at ``path`` untouched.
    """
    target = Path(path)
    if target.is_dir():
        raise ChainAtlasError("is a directory, expected a file name", path=str(target))
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:  # parent is a file, no permission, read-only file system, …
        raise ChainAtlasError(
            f"cannot write here ({exc.strerror or exc})", path=str(target)
        ) from exc
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        writer(tmp)
        # mkstemp creates 0600 files; give the result the mode a plain open() would (or the
        # mode of the file it replaces) so other users can read shared outputs.
        if target.exists():
            os.chmod(tmp, target.stat().st_mode & 0o7777)
        else:
            os.chmod(tmp, 0o666 & ~_current_umask())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_table(frame: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write a DataFrame as CSV or Parquet (by extension), atomically."""
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix == ".csv":  # Arrow's writer (util/fast_write.py), pandas' for unusual columns
        from chainatlas.util.fast_write import write_frame_csv

        return atomic_write(target, lambda tmp: write_frame_csv(frame, tmp))
    if suffix in (".parquet", ".pq"):
        return atomic_write(target, lambda tmp: frame.to_parquet(tmp, index=False))
    if suffix == ".xlsx":
        return write_workbook({"data": frame}, target)
    if suffix == ".dta":
        return write_stata(frame, target)
    raise ChainAtlasError(
        f"unsupported output format {suffix!r}; use {', '.join(OUTPUT_SUFFIXES)}",
        path=str(target),
    )


def refuse_output_over_input(
    out: str | os.PathLike[str] | None,
    inputs: dict[str, str | os.PathLike[str] | None],
    *,
    option: str = "--out",
) -> None:
    """Refuse an output path that is (or would overwrite a file of) an input of the same run.

    ``inputs`` maps the option that names an input (``--path``, ``--db``, ``--spec``) to its
    path (None: not given). An output equal to an input file or directory, or a file inside
    an input directory that already exists (``--out tables/Z.csv`` next to ``--path
    tables``), would overwrite what the run reads: one error instead of a lost input.
    """
    if out is None:
        return
    target = _resolved(Path(out))
    for name, value in inputs.items():
        if value is None:
            continue
        source = _resolved(Path(value))
        if target == source:
            raise ChainAtlasError(
                f"{option} {out} is also the input of {name}: writing it would overwrite "
                "what this run reads; choose another output path",
                path=str(out),
            )
        if source.is_dir() and source in target.parents and target.is_file():
            raise ChainAtlasError(
                f"{option} {out} would overwrite a file of the input directory {name} "
                f"{value}; choose an output path outside it",
                path=str(out),
            )


def _resolved(path: Path) -> Path:
    try:
        return path.expanduser().resolve()
    except OSError:  # a symlink loop: compare as written
        return path.expanduser().absolute()


# ------------------------------------------------------------------ Excel and Stata outputs
OUTPUT_SUFFIXES = (".csv", ".parquet", ".xlsx", ".dta")
EXCEL_MAX_ROWS = 1_048_575  # one row of the sheet holds the header
_SHEET_BAD = re.compile(r"[\\/*?:\[\]]")


def _notes_rows(frames: dict[str, pd.DataFrame]) -> list[tuple[str, str, str]]:
    rows: list[tuple[str, str, str]] = []
    for name, frame in frames.items():
        for key, value in frame.attrs.items():
            if key == "notes":
                rows += [(name, "note", str(v)) for v in value]
            elif value not in (None, "", [], {}):
                rows.append((name, key, str(value)))
        rows.append((name, "rows", str(len(frame))))
    return rows


def write_workbook(frames: dict[str, pd.DataFrame], path: str | os.PathLike[str]) -> Path:
    """An .xlsx workbook, one sheet per table plus a "notes" sheet (units, table, release,
    method and notes from each frame's ``attrs``), atomically."""
    target = Path(path)
    sheets: dict[str, pd.DataFrame] = {}
    for name, frame in frames.items():
        if len(frame) > EXCEL_MAX_ROWS:
            raise ChainAtlasError(
                f"table {name!r} has {len(frame):,} rows, more than an Excel sheet holds "
                f"({EXCEL_MAX_ROWS:,}); choose a coarser --level or write .parquet/.csv",
                path=str(target),
            )
        sheet = _SHEET_BAD.sub("_", str(name))[:31] or "data"
        while sheet in sheets or sheet == "notes":
            sheet = sheet[:28] + f"_{len(sheets)}"
        sheets[sheet] = frame

    def write(tmp: Path) -> None:
        with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
            for sheet, frame in sheets.items():
                frame.to_excel(writer, sheet_name=sheet, index=False)
            notes = pd.DataFrame(_notes_rows(frames), columns=["table", "item", "value"])
            notes.to_excel(writer, sheet_name="notes", index=False)

    return atomic_write(target, write)


_COLUMN_LABELS = {
    "year": "Year",
    "exporter": "Exporting economy (ISO3)",
    "importer": "Importing economy (ISO3)",
    "country": "Economy (ISO3)",
    "sector": "Industry (code)",
    "term": "Decomposition term",
    "indicator": "Indicator",
    "level": "Level of aggregation",
}


def write_stata(frame: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """A Stata .dta (version 118, Unicode): variable names made Stata-safe (≤ 32 characters),
    variable labels ≤ 80 characters (the original name, the value's units), data label from
    the table's release and method."""
    target = Path(path)
    out = frame.copy()
    names: dict[str, str] = {}
    labels: dict[str, str] = {}
    for column in frame.columns:
        safe = re.sub(r"[^0-9A-Za-z_]", "_", str(column))
        if not safe or safe[0].isdigit():
            safe = f"v_{safe}"
        safe = safe[:32]
        base, i = safe, 1
        while safe in names.values():
            safe = f"{base[:29]}_{i}"
            i += 1
        names[column] = safe
        label = _COLUMN_LABELS.get(str(column), str(column))
        if column == "value" and frame.attrs.get("units"):
            label = f"Value ({frame.attrs['units']})"
        labels[safe] = label[:80]
    out = out.rename(columns=names)
    for column in out.columns:
        if out[column].dtype == object or str(out[column].dtype) in ("string", "category"):
            out[column] = out[column].astype("string").fillna("").astype(object)
    attrs = frame.attrs
    data_label = " ".join(
        str(v) for v in (attrs.get("release"), attrs.get("year"), attrs.get("method")) if v
    )[:80]

    def write(tmp: Path) -> None:
        out.to_stata(
            tmp,
            write_index=False,
            version=118,
            variable_labels=labels,
            data_label=data_label or None,
        )

    return atomic_write(target, write)
