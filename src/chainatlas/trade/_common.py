"""What the trade-store source readers share: the load report, the unknown-codes error and
the CSV checks that turn a DuckDB refusal into an error naming the line and column."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from chainatlas.errors import DataNotFoundError, ValidationError

if TYPE_CHECKING:
    from chainatlas.trade.concordances import Concordances
    from chainatlas.trade.store import TradeStore


class UnknownCodesError(ValidationError):
    """Codes in the trade file that the code lists do not know; ``table`` lists them all."""

    def __init__(self, message: str, table: pd.DataFrame, **kwargs):
        self.table = table
        shown = table.head(20).to_string(index=False)
        more = f"\n… {len(table) - 20} more" if len(table) > 20 else ""
        super().__init__(f"{message}\n{shown}{more}", **kwargs)


@dataclass
class LoadReport:
    """What one ``load`` call did (also kept in the ``loads`` and ``unknown_codes`` tables)."""

    files: list[str] = field(default_factory=list)
    rows: int = 0
    value: float = 0.0
    vintage: str = ""
    years: list[int] = field(default_factory=list)
    unknown_codes: pd.DataFrame = field(default_factory=pd.DataFrame)
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = (
            f"loaded {self.rows:,} flows ({self.value / 1e9:,.3f} bn USD), {self.vintage}, "
            f"years {', '.join(map(str, self.years))} from {len(self.files)} file(s)"
        )
        if len(self.unknown_codes):
            text += f"; {len(self.unknown_codes)} unknown code(s) kept and listed"
        return text


def _first_line(path: Path) -> str:
    with open(path, "rb") as handle:
        raw = handle.readline()
    return raw.decode("utf-8-sig", errors="replace").strip()


def _check_utf8_family(path: Path) -> None:
    """Trade CSVs are read as UTF-8 (ASCII for BACI): refuse UTF-16/32 files up front."""
    with open(path, "rb") as handle:
        head = handle.read(4096)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head:
        raise ValidationError(
            "file is UTF-16/UTF-32 encoded (byte-order mark or NUL bytes); trade CSV files are "
            "read as UTF-8 — re-save it as UTF-8",
            path=str(path),
            location="line 1",
        )


def _first_non_utf8_line(path: Path) -> tuple[int, int] | None:
    """Slow path for error messages: (line, byte) of the first byte that is not UTF-8."""
    with open(path, "rb") as handle:
        for line, raw in enumerate(handle, start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                return line, raw[exc.start]
    return None


def _header_fields(path: Path) -> list[str]:
    _check_utf8_family(path)
    try:
        return [f.strip().strip('"').strip() for f in next(csv.reader([_first_line(path)]), [])]
    except csv.Error as exc:
        raise ValidationError(
            f"cannot read the header ({exc})", path=str(path), location="line 1"
        ) from None


def _locate_bad_value(path: Path, checks: dict[str, str]) -> tuple[int, str, str] | None:
    """Slow path (only after DuckDB refused the file): first (line, column, value) that fails.

    ``checks`` maps column -> "int", "float", "hs" or "float_or_na".
    """
    with open(path, newline="", encoding="utf-8", errors="replace") as handle:
        reader = csv.reader(handle)
        header = [h.strip() for h in next(reader, [])]
        index = {c: header.index(c) for c in checks if c in header}
        for line, row in enumerate(reader, start=2):
            if not row:
                continue
            if len(row) != len(header):
                return line, "(row)", f"{len(row)} fields where the header has {len(header)}"
            for column, kind in checks.items():
                value = row[index[column]].strip()
                ok = True
                if kind == "int":
                    ok = bool(re.fullmatch(r"-?\d+", value))
                elif kind == "hs":
                    ok = bool(re.fullmatch(r"\d{1,6}", value))
                elif kind in ("float", "float_or_na"):
                    if kind == "float_or_na" and value in ("", "NA"):
                        continue
                    try:
                        float(value)
                    except ValueError:
                        ok = False
                if not ok:
                    return line, column, value
    return None


def _first_line_where(path: Path, predicate, nth: int = 1) -> int | None:
    """Slow path for error messages: the line number of the nth row matching ``predicate``."""
    seen = 0
    with open(path, newline="", encoding="utf-8", errors="replace") as handle:
        reader = csv.DictReader(handle)
        for line, row in enumerate(reader, start=2):
            if predicate(row):
                seen += 1
                if seen == nth:
                    return line
    return None


def _duckdb_csv_error(exc: Exception, path: Path, checks: dict[str, str]) -> ValidationError:
    if "interrupt" in type(exc).__name__.lower():
        # Ctrl-C while DuckDB reads: an interruption, not a bad file.
        raise KeyboardInterrupt from None
    if "unicode" in str(exc).lower():
        bad = _first_non_utf8_line(path)
        return ValidationError(
            "not valid UTF-8 text"
            + (f" (byte {bad[1]:#04x})" if bad else "")
            + "; trade CSV files are read as UTF-8 — re-save the file as UTF-8 (e.g. "
            "iconv -f latin1 -t utf-8)",
            path=str(path),
            location=f"line {bad[0]}" if bad else None,
        )
    found = _locate_bad_value(path, checks)
    if found is not None:
        line, column, value = found
        if column == "(row)":
            return ValidationError(
                f"wrong number of fields: {value}", path=str(path), location=f"line {line}"
            )
        expected = {
            "int": "an integer",
            "float": "a number",
            "hs": "an HS6 code (1-6 digits)",
            "float_or_na": "a number or NA",
        }.get(checks.get(column, ""), "a valid row")
        return ValidationError(
            f"value {value!r} is not {expected}",
            path=str(path),
            location=f"line {line}, column {column!r}",
        )
    text = str(exc)
    line_match = re.search(r"Line:\s*(\d+)", text)
    # DuckDB's reason follows the echoed line ("Value with unterminated quote found.", ...).
    lines = [m.strip() for m in text.splitlines()]
    reason = next(
        (
            m
            for m in lines
            if m
            and not m.startswith(("Invalid Input Error", "Conversion Error", "Original Line"))
            and not m.startswith("Possible fixes")
            and "," not in m[:40]
        ),
        lines[0] if lines else "unreadable CSV",
    )
    if "unterminated quote" in text:
        reason += " (is the file truncated?)"
    return ValidationError(
        f"cannot parse CSV: {reason}",
        path=str(path),
        location=f"line {line_match.group(1)}" if line_match else None,
    )


# --------------------------------------------------------------------------------------------


def _year_filter(column_sql: str, years: list[int] | None) -> str:
    """SQL predicate keeping only ``years`` (all rows when None)."""
    if years is None:
        return "true"
    return f"TRY_CAST({column_sql} AS INTEGER) IN ({', '.join(str(int(y)) for y in years)})"


def _finish_load(
    store: TradeStore,
    report: LoadReport,
    source: str,
    conc: Concordances,
    files: list[Path],
    target: Path,
    years: list[int] | None,
) -> LoadReport:
    """The end of an ISO3-coded load (Atlas, Comtrade), after every file is written.

    Asked-for years that gave no rows are an error; otherwise the vintage is recorded, the
    files are listed in the report and the views are rebuilt.
    """
    if years is not None and not report.years:
        raise DataNotFoundError(
            f"no rows for year(s) {', '.join(map(str, years))}", path=str(target)
        )
    store._record_vintage(report.vintage, source, "", conc)
    report.files = [f.name for f in files]
    store._create_views()
    return report
