"""Bounded reading: what a reader may allocate from the sizes a file declares.

Every reader of published tables and trade files goes through these checks before it
allocates from a size written in the file itself:

* an xlsx/xlsm worksheet's extent (the largest cell reference) — readers build a dense grid,
  so one cell at XFD1048576 in a 5 KB file would ask for 17 billion cells;
* zip members — the inflated size a member declares (and the ratio to its compressed size)
  is capped, a member that inflates past what it declared is cut off, a damaged member is
  one error naming ``archive!member``, and two members with the same base name in different
  folders are refused (the readers key files by name: one would silently shadow the other).

Limits can be raised for exceptional files with ``CHAINATLAS_MAX_CELLS`` and
``CHAINATLAS_MAX_MEMBER_BYTES``.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import zipfile
import zlib
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from chainatlas.errors import ValidationError

# A dense object grid costs 8 bytes a cell (plus the values): 200 million cells is ~1.6 GB,
# far above the largest published sheet (EXIOBASE-size sheets are ~10 million cells).
MAX_CELLS = 200_000_000
# A sheet may span far more cells than its XML has bytes only when it is almost empty; a real
# table's sheet XML holds a number in most cells (>= 10 bytes each).
CELLS_PER_XML_BYTE = 2
MIN_CELLS_ALLOWED = 5_000_000
# Trade files are ~0.5 GB a year inflated; anything past 8 GB in one member is not a table.
MAX_MEMBER_BYTES = 8 << 30
# CSV and XML inflate 5-30x; 200x is only reached by padding (a zip bomb).
MAX_INFLATE_RATIO = 200
_SMALL_MEMBER = 64 << 20  # below this the ratio is not checked (tiny, highly regular files)
_CHUNK = 1 << 22

_COLUMN = re.compile(rb'\br="([A-Z]{1,4})(\d{1,8})"')
_ROW = re.compile(rb'<row\b[^>]*?\br="(\d{1,8})"')


def _limit(name: str, default: int) -> int:
    text = os.environ.get(name)
    if not text:
        return default
    try:
        return int(float(text))
    except ValueError:
        raise ValidationError(f"${name} must be a number, not {text!r}") from None


def max_cells() -> int:
    return _limit("CHAINATLAS_MAX_CELLS", MAX_CELLS)


def max_member_bytes() -> int:
    return _limit("CHAINATLAS_MAX_MEMBER_BYTES", MAX_MEMBER_BYTES)


def column_number(letters: bytes | str) -> int:
    """'A' -> 1, 'XFD' -> 16384."""
    if isinstance(letters, bytes):
        letters = letters.decode("ascii")
    number = 0
    for char in letters:
        number = number * 26 + (ord(char) - 64)
    return number


def column_letters(number: int) -> str:
    """16384 -> 'XFD' (1-based)."""
    letters = ""
    while number > 0:
        number, rem = divmod(number - 1, 26)
        letters = chr(65 + rem) + letters
    return letters or "A"


# ---------------------------------------------------------------------------- zip members
def member_label(archive: Path | str, member: str) -> str:
    return f"{archive}!{member}"


def check_member(archive: Path | str, info: zipfile.ZipInfo) -> None:
    """Refuse a member whose declared inflated size is past the caps (size, ratio)."""
    limit = max_member_bytes()
    where = member_label(archive, info.filename)
    if info.file_size > limit:
        raise ValidationError(
            f"zip member declares {info.file_size:,} bytes inflated, more than the "
            f"{limit:,} allowed (set CHAINATLAS_MAX_MEMBER_BYTES to raise it)",
            path=where,
        )
    if info.file_size > _SMALL_MEMBER and info.file_size > MAX_INFLATE_RATIO * max(
        info.compress_size, 1
    ):
        raise ValidationError(
            f"zip member inflates {info.file_size / max(info.compress_size, 1):,.0f}-fold "
            f"({info.compress_size:,} -> {info.file_size:,} bytes): not a table (a zip bomb?)",
            path=where,
        )


def refuse_duplicate_names(archive: Path | str, names: Iterable[str]) -> None:
    """Two members with the same base name in different folders: refuse, name both."""
    seen: dict[str, str] = {}
    for name in names:
        if name.endswith("/"):
            continue
        base = PurePosixPath(name).name.lower()
        if base in seen and seen[base] != name:
            raise ValidationError(
                f"two members named {PurePosixPath(name).name!r} in different folders "
                f"({seen[base]} and {name}); keep one of them",
                path=str(archive),
            )
        seen[base] = name


class _BoundedReader(io.RawIOBase):
    """Stops with an error once more bytes come out than the member declared."""

    def __init__(self, raw: BinaryIO, declared: int, where: str):
        self.raw, self.left, self.where = raw, declared, where

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.raw.read(min(len(buffer), max(self.left, 0) + 1))
        self.left -= len(data)
        if self.left < 0:
            raise ValidationError(
                "zip member inflates past the size it declares (damaged or forged header)",
                path=self.where,
            )
        buffer[: len(data)] = data
        return len(data)


def open_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, archive_path: Path | str):
    """A file object of the member, size-checked before and while reading."""
    check_member(archive_path, info)
    return io.BufferedReader(
        _BoundedReader(
            archive.open(info), info.file_size, member_label(archive_path, info.filename)
        ),
        buffer_size=_CHUNK,
    )


def extract_member(archive_path: Path, member: str, dest: Path) -> Path:
    """Unpack one member to ``dest`` (checked, bounded); a damaged member is one error."""
    where = member_label(archive_path, member)
    try:
        with zipfile.ZipFile(archive_path) as archive:
            info = archive.getinfo(member)
            with open_member(archive, info, archive_path) as src, open(dest, "wb") as out:
                shutil.copyfileobj(src, out, _CHUNK)
    except ValidationError:
        dest.unlink(missing_ok=True)
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, KeyError, NotImplementedError) as exc:
        dest.unlink(missing_ok=True)
        raise ValidationError(f"damaged zip member, cannot unpack it ({exc})", path=where) from None
    return dest


def list_members(archive_path: Path) -> list[zipfile.ZipInfo]:
    """The members of an archive, checked (caps, duplicate base names); damage is one error."""
    try:
        with zipfile.ZipFile(archive_path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        raise ValidationError(f"not a valid zip archive ({exc})", path=str(archive_path)) from None
    refuse_duplicate_names(archive_path, (i.filename for i in infos))
    for info in infos:
        check_member(archive_path, info)
    return infos


# ---------------------------------------------------------------------------- xlsx sheets
_DIMENSION = re.compile(
    rb'<dimension\b[^>]*?\bref="([A-Z]{0,4})(\d{0,8})(?::([A-Z]{1,4})(\d{1,8}))?"'
)


def _at_least(threshold: str, low: str, high: str, max_length: int) -> str:
    """Regex for strings over [low-high] that rank >= threshold (longer, or same length and
    not lexicographically smaller): column letters and row numbers both order this way."""
    n = len(threshold)
    alternatives = [f"[{low}-{high}]{{{n + 1},{max_length}}}"] if n < max_length else []
    for i, char in enumerate(threshold):
        if char < high:
            rest = f"[{low}-{high}]{{{n - i - 1}}}" if n - i - 1 else ""
            alternatives.append(f"{threshold[:i]}[{chr(ord(char) + 1)}-{high}]{rest}")
    alternatives.append(threshold)
    return "(?:" + "|".join(alternatives) + ")"


def _outside(rows: int, cols: int) -> re.Pattern[bytes]:
    """A reference past row ``rows`` or column ``cols`` (a cell outside the declared range)."""
    col = _at_least(column_letters(cols + 1), "A", "Z", 4)
    row = _at_least(str(rows + 1), "0", "9", 8)
    return re.compile(rf'\br="(?:{col}\d|[A-Z]{{1,4}}{row}"|{row}")'.encode())


def _exact_extent(data: bytes) -> tuple[int, int]:
    rows = max((int(x) for x in set(_ROW.findall(data))), default=0)
    refs = set(_COLUMN.findall(data))
    if refs:
        rows = max(rows, max(int(r) for _, r in refs))
        cols = max(column_number(c) for c, _ in refs)
    else:
        cols = 0
    return rows, cols


def sheet_extent(xml: BinaryIO) -> tuple[int, int, int]:
    """(rows, columns, bytes) a worksheet XML spans: the largest row and cell references.

    Fast path: the sheet's ``<dimension>`` is taken as its extent once one C-speed regex
    scan has found no reference past it; a sheet without one, or with cells outside it,
    is measured cell by cell.
    """
    data = xml.read()
    dimension = _DIMENSION.search(data, 0, 65536)
    if dimension is not None:
        end_col, end_row = (
            dimension.group(3) or dimension.group(1),
            dimension.group(4) or dimension.group(2),
        )
        if end_col and end_row:
            rows, cols = int(end_row), column_number(end_col)
            if rows * cols > max_cells() or not _outside(rows, cols).search(data):
                return rows, cols, len(data)
    rows, cols = _exact_extent(data)
    return rows, cols, len(data)


def check_workbook_extent(file: Path) -> None:
    """Refuse an xlsx/xlsm whose worksheets span more cells than a reader may allocate.

    The dense grid a reader builds has rows x columns cells, whatever the file holds; the
    allowance grows with the sheet's XML size (a real table has a number in most cells).
    """
    if file.suffix.lower() not in (".xlsx", ".xlsm"):
        return
    try:
        archive = zipfile.ZipFile(file)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ValidationError(
            f"cannot read workbook (corrupt or truncated? {exc})", path=str(file)
        ) from None
    with archive:
        sheets = [i for i in archive.infolist() if i.filename.startswith("xl/worksheets/")]
        for info in sheets:
            if not info.filename.endswith(".xml"):
                continue
            try:
                with open_member(archive, info, file) as xml:
                    rows, cols, size = sheet_extent(xml)
            except ValidationError:
                raise
            except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
                raise ValidationError(
                    f"damaged workbook part, cannot read it ({exc})",
                    path=member_label(file, info.filename),
                ) from None
            check_grid(rows, cols, size, file, PurePosixPath(info.filename).stem)


def check_grid(rows: int, cols: int, xml_bytes: int | None, file: Path, sheet: str) -> None:
    """Refuse a rows x columns grid past the caps (absolute, and relative to the file)."""
    cells = rows * cols
    allowed = max_cells()
    if xml_bytes is not None:
        allowed = min(allowed, max(MIN_CELLS_ALLOWED, CELLS_PER_XML_BYTE * xml_bytes))
    if cells > allowed:
        raise ValidationError(
            f"sheet {sheet!r} spans {rows:,} rows x {cols:,} columns (to cell "
            f"{column_letters(cols)}{rows}) = {cells:,} cells, more than the "
            f"{allowed:,} a reader may allocate for this file; delete the stray cells far "
            "outside the table (or set CHAINATLAS_MAX_CELLS)",
            path=str(file),
        )


def check_parquet(file: Path) -> None:
    """Refuse a Parquet file whose footer declares far more data than the file can hold.

    Readers allocate columns from the row counts and sizes in the footer; a forged footer
    (or a zip-bomb-like dictionary page) must not make them ask for gigabytes.
    """
    import pyarrow.parquet as pq

    try:
        metadata = pq.read_metadata(file)
    except Exception as exc:  # pyarrow raises several types for a cut-off footer
        raise ValidationError(
            f"cannot read file (corrupt or truncated? {exc.__class__.__name__}: {exc})",
            path=str(file),
        ) from None
    declared = sum(metadata.row_group(i).total_byte_size for i in range(metadata.num_row_groups))
    size = max(file.stat().st_size, 1)
    cells = metadata.num_rows * max(metadata.num_columns, 1)
    limit = max_member_bytes()
    if declared > limit or (declared > _SMALL_MEMBER and declared > MAX_INFLATE_RATIO * size):
        raise ValidationError(
            f"the file declares {declared:,} bytes of data in {size:,} bytes: not a table "
            "(or raise CHAINATLAS_MAX_MEMBER_BYTES)",
            path=str(file),
        )
    if cells > max_cells():
        raise ValidationError(
            f"the file declares {metadata.num_rows:,} rows x {metadata.num_columns:,} columns, "
            f"more than the {max_cells():,} cells a reader may allocate",
            path=str(file),
        )


__all__ = [
    "MAX_CELLS",
    "MAX_MEMBER_BYTES",
    "check_grid",
    "check_member",
    "check_parquet",
    "check_workbook_extent",
    "extract_member",
    "list_members",
    "open_member",
    "refuse_duplicate_names",
    "sheet_extent",
]
