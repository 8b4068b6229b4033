"""What a results directory holds, and validated read-only queries over it (DuckDB).

A results directory is what ``chainatlas indicators``, ``decompose`` and ``scenario run`` write:
tidy Parquet files (a numeric ``value`` column, usually ``year``, an indicator-like column
``indicator`` or ``term``, and entity columns such as country, sector, exporter, importer) and
optionally a ``results.duckdb`` with views. The catalog is built once at start-up from the files
themselves; every query parameter is checked against it, so user input only ever *selects* among
names read from the results and reaches DuckDB as bound parameters, never as SQL text or paths.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import duckdb
import pandas as pd

MEASURE_COLUMNS = ("indicator", "term", "measure", "variable")
MAX_VALUES_PER_DIMENSION = 5000  # larger dimensions are not offered as pick lists
MAX_SELECTED = 200  # values per parameter
MAX_ROWS = 50_000  # rows per answer; narrow the query beyond this
MAX_PARAM_LENGTH = 200
MAX_FILES = 200
NUMERIC_TYPE = re.compile(r"(DOUBLE|FLOAT|DECIMAL|U?(TINY|SMALL|BIG|HUGE)?INT|INTEGER|REAL)")


class QueryError(ValueError):
    """A bad request: the message says which parameter and what is allowed (HTTP 400)."""

    def __init__(self, message: str, *, parameter: str | None = None, allowed: list | None = None):
        super().__init__(message)
        self.parameter = parameter
        self.allowed = allowed

    def as_dict(self) -> dict:
        body: dict = {"error": str(self)}
        if self.parameter is not None:
            body["parameter"] = self.parameter
        if self.allowed is not None:
            body["allowed"] = self.allowed[:50]
            if len(self.allowed) > 50:
                body["allowed_truncated"] = len(self.allowed)
        return body


@dataclass
class ResultTable:
    """One tidy table of the results directory."""

    name: str  # public name: relative path without suffix, '/'-separated
    view: str  # internal DuckDB view name (t0, t1, …)
    file: Path
    rows: int
    measure: str | None  # indicator-like column, if any
    measures: list[str] = field(default_factory=list)
    dimensions: dict[str, list[str]] = field(default_factory=dict)  # string columns -> values
    numeric_dimensions: list[str] = field(default_factory=list)  # other non-value columns
    years: list[int] = field(default_factory=list)

    def describe(self) -> dict:
        meta = table_meta(self.name, self.file, self.measures)
        return {
            **meta,
            "name": self.name,
            "rows": self.rows,
            "measure": self.measure,
            "indicators": self.measures,
            "dimensions": self.dimensions,
            "numeric_columns": self.numeric_dimensions,
            "years": self.years,
        }


@lru_cache(maxsize=1)
def _table_names() -> dict[str, dict[str, str]]:
    from chainatlas.data import read_csv

    table = read_csv("atlas_tables.csv", dtype=str, keep_default_na=False)
    return {row.table: {"en": row.name_en, "zh": row.name_zh} for row in table.itertuples()}


@lru_cache(maxsize=1)
def _units() -> dict[str, dict[str, str]]:
    from chainatlas.data import read_csv

    table = read_csv("units_indicators.csv", dtype=str, keep_default_na=False)
    return {row.indicator: {"en": row.unit_en, "zh": row.unit_zh} for row in table.itertuples()}


def _file_attrs(file: Path) -> dict:
    """pandas ``attrs`` stored in a Parquet file's metadata (units, table, release, year …)."""
    if file.suffix != ".parquet":
        return {}
    try:
        import pyarrow.parquet as pq

        metadata = pq.read_schema(file).metadata or {}
    except (OSError, ValueError):
        return {}
    raw = metadata.get(b"PANDAS_ATTRS")
    try:
        attrs = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return attrs if isinstance(attrs, dict) else {}


def _source_note(file: Path) -> dict:
    """The results folder's chainatlas_source.json (written by ``indicators`` and ``demo``),
    looked up from the file's folder upwards, at most three levels."""
    from chainatlas.util.labels import SOURCE_NOTE

    for folder in list(file.parents)[:3]:
        note = folder / SOURCE_NOTE
        if note.is_file() and note.stat().st_size < 10_000:
            try:
                data = json.loads(note.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                return {}
            return data if isinstance(data, dict) else {}
    return {}


def table_meta(name: str, file: Path, measures: list[str]) -> dict:
    """Human title (en/zh), source line and units of one results table, from data files and
    the table's own metadata; what is unknown is said to be unknown."""
    from chainatlas.reporting import names

    parts = name.split("/")
    stem = parts[-1].replace("-", "_")
    titles = _table_names()
    level = None
    key = stem
    if stem not in titles and "_" in stem:  # decompose outputs: <method>_<level>
        method, _, suffix = stem.rpartition("_")
        if method in titles and names.has_text(f"atlas.level.{suffix}"):
            key, level = method, suffix
    if key not in titles and len(parts) > 1 and parts[0] in titles:
        key = parts[0]
    if key in titles:
        title = dict(titles[key])
        if level:
            title = {
                lang: title[lang]
                + ("，" if lang == "zh" else ", ")
                + names.text(f"atlas.level.{level}", lang)
                for lang in names.LANGUAGES
            }
    else:
        title = {lang: name for lang in names.LANGUAGES}
    attrs = _file_attrs(file) or _source_note(file)
    release = attrs.get("release") or attrs.get("table")
    if release:
        year = attrs.get("year")
        key = f"source.{str(attrs.get('table', '')).lower()}"
        source = {}
        for lang in names.LANGUAGES:
            label = names.text(key, lang) if names.has_text(key) else str(release)
            text = f"{label}, {year}" if year else label
            source[lang] = names.text("atlas.source", lang, source=text)
    else:
        source = {lang: names.text("atlas.source_unknown", lang) for lang in names.LANGUAGES}
    units = {m: _units()[m] for m in measures if m in _units()}
    if attrs.get("units") and not units:
        units = {"value": {lang: str(attrs["units"]) for lang in names.LANGUAGES}}
    return {"title": title, "source": source, "units": units}


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


class ResultsCatalog:
    """The tables of a results directory and the queries allowed on them."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory).resolve()
        if not self.directory.is_dir():
            raise FileNotFoundError(f"results directory not found: {self.directory}")
        self._connection = duckdb.connect(":memory:")
        # Only files under the results directory can ever be read: a results.duckdb received
        # from someone else may hold a view over read_text('/home/…') or read_csv(url).
        self._connection.execute("SET allowed_directories = ?", [[str(self.directory) + "/"]])
        self._connection.execute("SET enable_external_access = false")
        self._local = threading.local()
        self.tables: dict[str, ResultTable] = {}
        self.skipped: dict[str, str] = {}
        self._scan()

    # ------------------------------------------------------------------ scanning
    def _scan(self) -> None:
        files = sorted(self.directory.rglob("*.parquet"))[:MAX_FILES]
        for index, file in enumerate(files):
            resolved = file.resolve()
            if self.directory not in resolved.parents:  # symlink pointing outside
                self.skipped[str(file)] = "outside the results directory"
                continue
            name = file.relative_to(self.directory).with_suffix("").as_posix()
            view = f"t{index}"
            try:
                self._create_view(view, resolved)
                table = self._describe(name, view, resolved)
            except duckdb.Error as exc:  # a damaged or foreign file: serve the others
                self.skipped[name] = "cannot read: " + str(exc).splitlines()[0][:200]
                self._connection.execute(f"DROP VIEW IF EXISTS {view}")
                continue
            if table is None:
                self._connection.execute(f"DROP VIEW {view}")
                continue
            self.tables[name] = table
        self._add_duckdb_tables()

    def _create_view(self, view: str, file: Path) -> None:
        # DuckDB cannot bind a parameter inside CREATE VIEW; the path comes from our own
        # directory listing (never from a request) and is quoted as a SQL string literal.
        literal = "'" + str(file).replace("'", "''") + "'"
        self._connection.execute(f"CREATE VIEW {view} AS SELECT * FROM read_parquet({literal})")

    def _add_duckdb_tables(self) -> None:
        """Tables/views of results.duckdb that have no Parquet file of the same name."""
        database = self.directory / "results.duckdb"
        if not database.is_file():
            return
        try:
            self._connection.execute(
                "ATTACH '" + str(database).replace("'", "''") + "' AS results (READ_ONLY)"
            )
            listed = self._connection.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_catalog = 'results'"
            ).fetchall()
        except duckdb.Error as exc:
            self.skipped[str(database)] = f"cannot open: {exc}"
            return
        for (table_name,) in listed:
            if table_name in self.tables:
                continue
            view = f"d{len(self.tables)}"
            try:
                self._connection.execute(
                    f"CREATE VIEW {view} AS SELECT * FROM results.main.{_quote(table_name)}"
                )
                table = self._describe(table_name, view, database)
            except duckdb.Error as exc:
                self.skipped[f"results.duckdb:{table_name}"] = str(exc)
                continue
            if table is not None:
                self.tables[table_name] = table

    def _describe(self, name: str, view: str, file: Path) -> ResultTable | None:
        schema = self._connection.execute(f"DESCRIBE {view}").fetchall()
        types = {row[0]: row[1].upper() for row in schema}
        if "value" not in types or not NUMERIC_TYPE.match(types["value"]):
            self.skipped[name] = "no numeric 'value' column (not a tidy result table)"
            return None
        rows = self._connection.execute(f"SELECT count(*) FROM {view}").fetchone()[0]
        measure = next((c for c in MEASURE_COLUMNS if c in types), None)
        table = ResultTable(name=name, view=view, file=file, rows=int(rows), measure=measure)
        if "year" in types:
            table.years = [
                int(y)
                for (y,) in self._connection.execute(
                    f"SELECT DISTINCT year FROM {view} WHERE year IS NOT NULL ORDER BY 1"
                ).fetchall()
            ]
        for column, kind in types.items():
            if column in ("value", "year"):
                continue
            if not kind.startswith("VARCHAR"):
                table.numeric_dimensions.append(column)
                continue
            count = self._connection.execute(
                f"SELECT count(DISTINCT {_quote(column)}) FROM {view}"
            ).fetchone()[0]
            if count > MAX_VALUES_PER_DIMENSION:
                self.skipped[f"{name}.{column}"] = (
                    f"{count} distinct values: not offered as a filter"
                )
                continue
            values = [
                v
                for (v,) in self._connection.execute(
                    f"SELECT DISTINCT {_quote(column)} FROM {view} "
                    f"WHERE {_quote(column)} IS NOT NULL ORDER BY 1"
                ).fetchall()
            ]
            if column == measure:
                table.measures = values
            else:
                table.dimensions[column] = values
        return table

    # ------------------------------------------------------------------ queries
    def _cursor(self) -> duckdb.DuckDBPyConnection:
        cursor = getattr(self._local, "cursor", None)
        if cursor is None:
            cursor = self._connection.cursor()
            self._local.cursor = cursor
        return cursor

    def describe(self) -> dict:
        from chainatlas.core.groups import list_groups

        groups = sorted(
            {g["name"] for g in list_groups()} | {a for g in list_groups() for a in g["aliases"]}
        )
        return {
            "directory": self.directory.name,
            "tables": [t.describe() for t in self.tables.values()],
            "groups": groups,
        }

    def table(self, name: str | None) -> ResultTable:
        if not name:
            raise QueryError(
                "missing parameter 'table'", parameter="table", allowed=list(self.tables)
            )
        if name not in self.tables:
            raise QueryError(
                f"unknown table {name!r}", parameter="table", allowed=list(self.tables)
            )
        return self.tables[name]

    def query(self, params: dict[str, list[str]]) -> tuple[ResultTable, pd.DataFrame]:
        """Run a validated query; ``params`` as parsed from a query string (name -> values)."""
        for key, values in params.items():
            for value in values:
                if len(value) > MAX_PARAM_LENGTH * MAX_SELECTED:
                    raise QueryError(f"parameter {key!r} is too long", parameter=key)
        table = self.table(_single(params, "table"))
        if table.measure and table.measure != "indicator" and table.measure in params:
            # the measure column may be named term/measure/variable: accept its own name too
            if "indicator" in params:
                raise QueryError(
                    f"give either 'indicator' or {table.measure!r}, not both", parameter="indicator"
                )
            params = {**params, "indicator": params[table.measure]}
            del params[table.measure]
        allowed_keys = {"table", "indicator", "year_from", "year_to", "format", "limit"}
        allowed_keys |= set(table.dimensions)
        unknown = sorted(set(params) - allowed_keys)
        if unknown:
            raise QueryError(
                f"unknown parameter {unknown[0]!r} for table {table.name!r}",
                parameter=unknown[0],
                allowed=sorted(allowed_keys),
            )
        where: list[str] = []
        args: list[object] = []
        if table.measure is not None and "indicator" in params:
            chosen = _selection(params, "indicator", table.measures)
            where.append(f"{_quote(table.measure)} IN ({', '.join('?' * len(chosen))})")
            args += chosen
        for column, values in table.dimensions.items():
            if column in params:
                chosen = _selection(params, column, values)
                where.append(f"{_quote(column)} IN ({', '.join('?' * len(chosen))})")
                args += chosen
        if table.years:
            first = _year(params, "year_from", table.years, table.years[0])
            last = _year(params, "year_to", table.years, table.years[-1])
            if first > last:
                raise QueryError(
                    f"year_from {first} is after year_to {last}", parameter="year_from"
                )
            where.append("year BETWEEN ? AND ?")
            args += [first, last]
        elif "year_from" in params or "year_to" in params:
            raise QueryError(f"table {table.name!r} has no year column", parameter="year_from")
        limit = MAX_ROWS
        if "limit" in params:
            text = _single(params, "limit")
            if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_ROWS:
                raise QueryError(f"limit must be an integer in 1..{MAX_ROWS}", parameter="limit")
            limit = int(text)
        columns = [
            c
            for c in ["year", *table.dimensions, table.measure, *table.numeric_dimensions, "value"]
            if c and (c != "year" or table.years)
        ]
        order = [c for c in columns if c != "value"]
        sql = f"SELECT {', '.join(_quote(c) for c in columns)} FROM {table.view}"
        if where:
            sql += " WHERE " + " AND ".join(where)
        if "limit" in params:
            # an explicit limit needs a deterministic order before cutting
            if order:
                sql += " ORDER BY " + ", ".join(_quote(c) for c in order)
            frame = self._cursor().execute(sql + " LIMIT ?", [*args, limit]).df()
        else:
            # no sort in DuckDB: an over-large selection is refused after reading limit+1 rows
            frame = self._cursor().execute(sql + " LIMIT ?", [*args, limit + 1]).df()
            if len(frame) > limit:
                raise QueryError(
                    f"the selection has more than {MAX_ROWS:,} rows; choose an indicator, "
                    "fewer economies or fewer years",
                    parameter="indicator",
                )
            if order and len(frame):
                frame = frame.sort_values(order, kind="stable", na_position="last")
                frame = frame.reset_index(drop=True)
        return table, frame


def _single(params: dict[str, list[str]], key: str) -> str:
    values = params.get(key, [])
    if len(values) > 1:
        raise QueryError(f"parameter {key!r} given more than once", parameter=key)
    return values[0] if values else ""


def _selection(params: dict[str, list[str]], key: str, allowed: list[str]) -> list[str]:
    """Comma-separated (or repeated) values, each checked against the table's values."""
    chosen: list[str] = []
    for raw in params[key]:
        chosen += [part.strip() for part in raw.split(",") if part.strip()]
    if not chosen:
        raise QueryError(f"parameter {key!r} is empty", parameter=key, allowed=allowed)
    if len(chosen) > MAX_SELECTED:
        raise QueryError(
            f"too many values for {key!r} ({len(chosen)}; at most {MAX_SELECTED})", parameter=key
        )
    allowed_set = set(allowed)
    for value in chosen:
        if value not in allowed_set:
            shown = value if len(value) <= 60 else value[:57] + "..."
            raise QueryError(f"unknown {key} {shown!r}", parameter=key, allowed=allowed)
    return list(dict.fromkeys(chosen))


def _year(params: dict[str, list[str]], key: str, years: list[int], default: int) -> int:
    if key not in params:
        return default
    text = _single(params, key)
    if not re.fullmatch(r"\d{4}", text):
        raise QueryError(f"{key} must be a four-digit year", parameter=key, allowed=years)
    year = int(text)
    if not years[0] <= year <= years[-1]:
        raise QueryError(
            f"{key} {year} is outside the results' years {years[0]}–{years[-1]}",
            parameter=key,
            allowed=years,
        )
    return year
