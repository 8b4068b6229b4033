"""Partitioned Parquet results with atomic partitions and a DuckDB catalogue.

Layout of an output directory::

    OUT/
      <dataset>/year=2011/part-0.parquet          one partition per unit (hive layout)
      <dataset>/year=2011/batch=3/part-0.parquet  when the unit is a (year, batch)
      results.duckdb                              one view per dataset + table run_units
      _chainatlas/units/<task>__year=2011.json    completion markers
      _chainatlas/tmp/                            partitions being written

A partition is written into ``_chainatlas/tmp`` and renamed into place (same file system, so
the rename is atomic): a reader or a killed run never sees half a partition, and a unit that
runs twice (a worker lost mid-write, a re-run) replaces its partition instead of adding a
duplicate. A unit's marker is written after all its partitions and records the unit's
fingerprint (input file hashes, options, task, code version; see ``fingerprint.py``); a
re-run skips a unit only when its marker has the same fingerprint and every partition it
lists reads back (a truncated or damaged partition is recomputed). ``results.duckdb`` is
rebuilt in a temporary file and renamed into place, so a killed run never leaves it half
written.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import tempfile
import time
import uuid
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from chainatlas.errors import ChainAtlasError
from chainatlas.execution.units import WorkUnit

PART_FILE = "part-0.parquet"
CATALOGUE = "results.duckdb"
META_DIR = "_chainatlas"


class PartitionStore:
    """The partitioned results of one output directory."""

    def __init__(self, root: str | os.PathLike[str]):
        self.root = Path(root).expanduser().resolve()
        if self.root.exists() and not self.root.is_dir():
            raise ChainAtlasError(
                "output must be a directory for partitioned results", path=str(self.root)
            )
        self.units_dir = self.root / META_DIR / "units"
        self.tmp_dir = self.root / META_DIR / "tmp"

    # ------------------------------------------------------------------ paths
    def partition_dir(self, dataset: str, unit: WorkUnit) -> Path:
        return self.root / dataset / unit.partition

    def marker_path(self, unit: WorkUnit) -> Path:
        return self.units_dir / f"{unit.key}.json"

    def prepare(self) -> None:
        """Create the layout and drop leftovers of interrupted writes."""
        try:
            self.units_dir.mkdir(parents=True, exist_ok=True)
            if self.tmp_dir.exists():
                shutil.rmtree(self.tmp_dir, ignore_errors=True)
            self.tmp_dir.mkdir(parents=True, exist_ok=True)
            probe = self.tmp_dir / f".probe-{uuid.uuid4().hex}"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise ChainAtlasError(
                f"cannot write partitioned results here ({exc.strerror or exc})",
                path=str(exc.filename or self.root),
            ) from None

    # ------------------------------------------------------------------ state
    def marker(self, unit: WorkUnit) -> dict | None:
        path = self.marker_path(unit)
        try:
            return json.loads(path.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return None

    def is_done(self, unit: WorkUnit, fingerprint: dict | None = None) -> bool:
        """Marker written (with ``fingerprint``, when given) and every partition readable."""
        return self.status(unit, fingerprint)[0] == "done"

    def status(self, unit: WorkUnit, fingerprint: dict | None = None) -> tuple[str, str]:
        """("done" | "missing" | "stale" | "unreadable", reason) of ``unit``.

        "stale": the marker's fingerprint differs from ``fingerprint`` (another table, an
        edited input, other options or code); "unreadable": a partition it lists is missing
        or does not read back as Parquet (a truncated file).
        """
        marker = self.marker(unit)
        if marker is None or not isinstance(marker.get("datasets"), list):
            return "missing", "not computed yet"
        if fingerprint is not None and marker.get("fingerprint") != fingerprint:
            from chainatlas.execution.fingerprint import describe_difference

            return "stale", describe_difference(marker.get("fingerprint"), fingerprint)
        for name in marker["datasets"]:
            part = self.partition_dir(name, unit) / PART_FILE
            problem = _unreadable(part)
            if problem:
                return "unreadable", f"{part.relative_to(self.root)}: {problem}"
        return "done", ""

    def datasets(self) -> list[str]:
        return sorted(
            p.name
            for p in self.root.iterdir()
            if p.is_dir() and p.name != META_DIR and any(p.rglob(PART_FILE))
        )

    def markers(self) -> list[dict]:
        if not self.units_dir.exists():
            return []
        found = []
        for path in sorted(self.units_dir.glob("*.json")):
            try:
                found.append(json.loads(path.read_text()))
            except json.JSONDecodeError:  # a marker is written atomically; be safe anyway
                continue
        return found

    # ------------------------------------------------------------------ writing
    def write_unit(
        self,
        unit: WorkUnit,
        frames: Mapping[str, pd.DataFrame],
        seconds: float,
        fingerprint: dict | None = None,
    ) -> dict:
        """Write every dataset partition of ``unit`` atomically, then its marker."""
        rows = {}
        # Every partition of the unit is written aside first (the slow part); only then are
        # they renamed into place, so a run killed while writing leaves the unit's previous
        # partitions all as they were rather than a mix of old and new datasets.
        staged: list[tuple[Path, Path]] = []
        try:
            for dataset, frame in frames.items():
                staged.append(
                    (
                        self._stage_partition(
                            dataset, unit, _drop_partition_columns(frame, unit, dataset)
                        ),
                        self.partition_dir(dataset, unit),
                    )
                )
                rows[dataset] = len(frame)
        except BaseException:
            for staging, _ in staged:
                shutil.rmtree(staging, ignore_errors=True)
            raise
        for staging, final in staged:
            self._swap_in(staging, final)
        marker = {
            "key": unit.key,
            "task": unit.task,
            "year": unit.year,
            "batch": unit.batch,
            "datasets": sorted(frames),
            "rows": rows,
            "seconds": round(seconds, 6),
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "finished": time.time(),
            "fingerprint": fingerprint,
        }
        self._atomic_text(self.marker_path(unit), json.dumps(marker, indent=1))
        return marker

    def _stage_partition(self, dataset: str, unit: WorkUnit, frame: pd.DataFrame) -> Path:
        """Write one partition under ``_chainatlas/tmp``; returns its staging directory."""
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f"{unit.key}.{dataset}.", dir=self.tmp_dir))
        try:
            frame.to_parquet(staging / PART_FILE, index=False)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return staging

    def _swap_in(self, staging: Path, final: Path) -> None:
        """Rename a staged partition into place (replacing an older one)."""
        final.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.rename(staging, final)
        except OSError:
            # the partition exists (a re-run, or a unit that ran twice): move the old one
            # aside, then put the new one in its place
            trash = self.tmp_dir / f"old-{uuid.uuid4().hex}"
            os.rename(final, trash)
            os.rename(staging, final)
            shutil.rmtree(trash, ignore_errors=True)

    def _write_partition(self, dataset: str, unit: WorkUnit, frame: pd.DataFrame) -> None:
        self._swap_in(
            self._stage_partition(dataset, unit, frame), self.partition_dir(dataset, unit)
        )

    def _atomic_text(self, path: Path, text: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(text)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    # ------------------------------------------------------------------ reading
    def glob(self, dataset: str) -> str:
        return str(self.root / dataset / "**" / PART_FILE)

    def read(self, dataset: str) -> pd.DataFrame:
        """All partitions of ``dataset`` with the partition columns (year, batch) restored."""
        import duckdb

        with duckdb.connect() as con:
            return con.execute(
                f"SELECT year, * EXCLUDE (year) FROM read_parquet("
                f"'{_sql_str(self.glob(dataset))}', hive_partitioning = true, "
                "union_by_name = true)"
            ).df()

    def register(self) -> Path:
        """(Re)create ``results.duckdb``: a view per dataset, and the ``run_units`` table."""
        import duckdb

        path = self.root / CATALOGUE
        # Built aside and renamed over the old catalogue: a killed run leaves the old one.
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        staging = self.tmp_dir / f"{CATALOGUE}.{uuid.uuid4().hex}"
        try:
            self._build_catalogue(duckdb, staging)
            os.replace(staging, path)
        finally:
            staging.unlink(missing_ok=True)
            Path(f"{staging}.wal").unlink(missing_ok=True)
        return path

    def _build_catalogue(self, duckdb, path: Path) -> None:
        with duckdb.connect(str(path)) as con:
            for dataset in self.datasets():
                con.execute(
                    f'CREATE OR REPLACE VIEW "{dataset}" AS SELECT year, * EXCLUDE (year) '
                    "FROM read_parquet("
                    f"'{_sql_str(self.glob(dataset))}', hive_partitioning = true, "
                    "union_by_name = true)"
                )
            markers = self.markers()
            con.execute(
                "CREATE OR REPLACE TABLE run_units (key VARCHAR, task VARCHAR, year INTEGER, "
                "batch INTEGER, datasets VARCHAR, rows BIGINT, seconds DOUBLE, host VARCHAR, "
                "finished DOUBLE)"
            )
            if markers:
                con.executemany(
                    "INSERT INTO run_units VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        (
                            m["key"],
                            m["task"],
                            m["year"],
                            m["batch"],
                            ",".join(m["datasets"]),
                            sum(m["rows"].values()),
                            m["seconds"],
                            m["host"],
                            m["finished"],
                        )
                        for m in markers
                    ],
                )


def _unreadable(part: Path) -> str:
    """Why a partition file does not read back ("" when it does: footer and schema parse)."""
    import pyarrow.parquet as pq

    if not part.exists():
        return "missing"
    try:
        metadata = pq.read_metadata(part)
        if metadata.num_rows and metadata.num_row_groups == 0:
            return "no row groups"
    except Exception as exc:  # pyarrow raises ArrowInvalid / OSError for a cut-off file
        return f"does not read back ({str(exc).splitlines()[0][:120]})"
    return ""


def _sql_str(text: str) -> str:
    return text.replace("'", "''")


def _drop_partition_columns(frame: pd.DataFrame, unit: WorkUnit, dataset: str) -> pd.DataFrame:
    """The hive directories carry year (and batch); a column of the same name must agree."""
    drop = []
    for column, value in (("year", unit.year), ("batch", unit.batch)):
        if column not in frame.columns or value is None:
            continue
        values = frame[column].dropna().unique()
        if len(values) and (len(values) > 1 or int(values[0]) != value):
            raise ChainAtlasError(
                f"dataset {dataset!r} of unit {unit.key} has {column} values "
                f"{sorted(values)[:5]} but belongs to partition {column}={value}"
            )
        drop.append(column)
    return frame.drop(columns=drop) if drop else frame


__all__ = ["CATALOGUE", "PART_FILE", "PartitionStore"]
