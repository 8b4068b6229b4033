"""Writing indicator panels: one tidy Parquet per set, a groups table, metadata, and a
DuckDB file with every table as a view (``results.duckdb``).

Each Parquet file carries the set's metadata (missing group members per year, notes, share
exceptions) in its schema metadata under the key ``chainatlas``; ``groups.parquet`` lists
every configured member of every group per year with status present/missing, and
``metadata.json`` repeats the metadata in one readable file. All files are written through a
temporary file and renamed, so a failed run never leaves a half-written result.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from chainatlas.errors import ChainAtlasError
from chainatlas.util.files import atomic_write

if TYPE_CHECKING:
    from chainatlas.indicators.sets import YearMapper

METADATA_KEY = b"chainatlas"
DUCKDB_NAME = "results.duckdb"
# groups every written panel reports on when the caller names none
DEFAULT_GROUPS = ("NEA", "ASEAN-9", "EU", "USMCA")


def table_name(set_name: str) -> str:
    """File stem and SQL view name of a set ('fva-origin' -> 'fva_origin')."""
    return set_name.replace("-", "_")


def _json_attrs(frame: pd.DataFrame) -> str:
    return json.dumps(frame.attrs, default=str, ensure_ascii=False)


def write_parquet(frame: pd.DataFrame, path: Path) -> Path:
    """Write ``frame`` atomically with its attrs in the schema metadata."""

    table = pa.Table.from_pandas(frame, preserve_index=False)
    metadata = dict(table.schema.metadata or {})
    metadata[METADATA_KEY] = _json_attrs(frame).encode()
    table = table.replace_schema_metadata(metadata)
    return atomic_write(path, lambda tmp: pq.write_table(table, tmp))


def read_metadata(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The chainatlas metadata stored in a result Parquet file."""
    metadata = pq.read_schema(path).metadata or {}
    raw = metadata.get(METADATA_KEY)
    return json.loads(raw) if raw else {}


def write_duckdb_views(out_dir: Path, parquet_files: Mapping[str, Path]) -> Path:
    """results.duckdb with one view per Parquet file (absolute paths), built in a temporary
    file and renamed over any previous one."""
    import duckdb

    target = out_dir / DUCKDB_NAME
    fd, tmp_name = tempfile.mkstemp(prefix=f".{DUCKDB_NAME}.", suffix=".tmp", dir=out_dir)
    os.close(fd)
    os.unlink(tmp_name)  # duckdb must create the file itself
    try:
        connection = duckdb.connect(tmp_name)
        try:
            for name, path in parquet_files.items():
                literal = str(Path(path).resolve()).replace("'", "''")
                connection.execute(
                    f"CREATE OR REPLACE VIEW \"{name}\" AS SELECT * FROM read_parquet('{literal}')"
                )
        finally:
            connection.close()
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        Path(tmp_name + ".wal").unlink(missing_ok=True)
        raise
    return target


def write_results(results: Mapping[str, pd.DataFrame], out_dir: str | os.PathLike[str]):
    """Write every frame of ``results`` (set name -> frame, plus 'groups') and the DuckDB
    views; returns {table name: path} including metadata.json and results.duckdb."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ChainAtlasError("--out must be a directory", path=str(out))
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}
    for set_name, frame in results.items():
        name = table_name(set_name)
        files[name] = write_parquet(frame, out / f"{name}.parquet")
    metadata = {
        table_name(k): {
            "rows": len(v),
            "columns": list(v.columns),
            **{key: value for key, value in v.attrs.items() if key != "share_exceptions"},
            "share_exceptions": len(v.attrs.get("share_exceptions", [])),
        }
        for k, v in results.items()
    }
    exceptions = [
        {"set": k, **row} for k, v in results.items() for row in v.attrs.get("share_exceptions", [])
    ]

    text = json.dumps(metadata, default=str, indent=2, ensure_ascii=False)
    meta_path = atomic_write(
        out / "metadata.json", lambda tmp: tmp.write_text(text, encoding="utf-8")
    )
    exceptions_frame = (
        pd.DataFrame(exceptions)
        if exceptions
        else pd.DataFrame({"set": pd.Series(dtype=str), "value": pd.Series(dtype=float)})
    )
    files["share_exceptions"] = write_parquet(
        exceptions_frame.astype(
            {c: str for c in exceptions_frame.columns if c not in ("value", "year")}
        ),
        out / "share_exceptions.parquet",
    )
    db = write_duckdb_views(out, files)
    written = {**files, "metadata": meta_path, "duckdb": db}
    _default_permissions(written.values())
    return written


def _default_permissions(paths) -> None:
    """Temporary files are created 0600; give results the usual umask-based mode."""
    umask = os.umask(0)
    os.umask(umask)
    for path in paths:
        os.chmod(path, 0o666 & ~umask)


def write_indicator_panel(
    source: str,
    path: str | os.PathLike[str] | None,
    years: Sequence[int],
    out_dir: str | os.PathLike[str],
    sets: Sequence[str] | str | None = None,
    groups: Sequence[str] | None = None,
    options: Mapping[str, Any] | None = None,
    *,
    on_year: Callable[[int], None] | None = None,
    map_years: YearMapper | None = None,
) -> dict[str, Path]:
    """Compute the panel of ``sets`` for ``years`` of ``source`` and write it to ``out_dir``.

    Groups default to NEA, ASEAN-9, EU, USMCA (every result lists their missing members).
    ``map_years`` computes the years elsewhere (see :func:`indicator_panel`).
    """
    from chainatlas import sources
    from chainatlas.indicators.sets import indicator_panel

    if groups is None:
        groups = list(DEFAULT_GROUPS)
    results = indicator_panel(
        years,
        lambda year: sources.load(source, path, year),
        sets,
        groups,
        options,
        on_year=on_year,
        map_years=map_years,
    )
    return write_results(results, out_dir)
