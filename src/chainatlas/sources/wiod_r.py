"""WIOD 2013 release as distributed in R format (the `wiod` R data package, wiot_YYYY.RData).

Each file holds a list with ``inter`` (Z, 1435 x 1435), ``final`` (1435 x 205: 41 countries x
5 categories c37, c38, c39, c41, c42), ``output``, ``countries`` and ``industries``. Values are
rounded to USD 1 million, so the table is rebalanced by default (x := Z1 + Y1; METHODS §1).

The file is read by :func:`read_rdata`, a reader of the part of R's serialisation format
these files use (XDR; lists, character, integer, double and logical vectors with attributes),
because ``rdata.read_rda`` converts through xarray, whose import pulls in dask: 0.3 s of a
0.44 s read. A file using anything else falls back to rdata.
"""

from __future__ import annotations

import csv
import re
import struct
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from chainatlas.data import path_of
from chainatlas.errors import DataNotFoundError, ValidationError
from chainatlas.sources.codes import to_iso3
from chainatlas.sources.registry import register
from chainatlas.util import readahead
from chainatlas.util.readahead import inflate

if TYPE_CHECKING:
    from chainatlas.core.model import MRIOModel

WIOD2013_FD = ("c37", "c38", "c39", "c41", "c42")
WIOD2013_FD_NAMES = (
    "Final consumption expenditure by households",
    "Final consumption expenditure by non-profit organisations serving households",
    "Final consumption expenditure by government",
    "Gross fixed capital formation",
    "Changes in inventories and valuables",
)
_FILE = re.compile(r"^wiot_(\d{4})\.RData$", re.IGNORECASE)


def wiod2013_r_years(path: Path) -> list[int]:
    if path.is_file():
        match = _FILE.match(path.name)
        return [int(match.group(1))] if match else []
    return sorted(int(m.group(1)) for p in path.iterdir() if (m := _FILE.match(p.name)))


def _find_file(path: Path, year: int | None) -> Path:
    if path.is_file():
        return path
    years = wiod2013_r_years(path)
    if not years:
        raise DataNotFoundError("no wiot_YYYY.RData files here", path=str(path))
    if year is None:
        raise ValidationError(
            f"a year is needed; available: {years[0]}-{years[-1]}", path=str(path)
        )
    if year not in years:
        raise DataNotFoundError(
            f"unknown year {year}; available: {', '.join(map(str, years))}", path=str(path)
        )
    for candidate in path.iterdir():
        match = _FILE.match(candidate.name)
        if match and int(match.group(1)) == year:
            return candidate
    raise DataNotFoundError(f"year {year} not found", path=str(path))  # pragma: no cover


def wiod2013_r_files(path: Path, year: int | None) -> list[Path]:
    """The one file a year is read from (the table cache hashes only it)."""
    return [_find_file(Path(path), year)]


@register(
    "wiod2013",
    list_years=wiod2013_r_years,
    input_files=wiod2013_r_files,
    description="WIOD 2013 release, R data package files wiot_YYYY.RData (1995-2011)",
)
def load_wiod2013_r(
    path: Path, year: int | None = None, *, rebalance: bool | None = None
) -> MRIOModel:
    """Load one year of the WIOD 2013 release from the R package's ``wiot_YYYY.RData``."""
    from chainatlas.core.model import MRIOModel

    file = _find_file(Path(path), year)
    try:
        try:
            parsed = read_rdata(file)
        except _Unsupported:
            import rdata  # the general reader (imports xarray and dask): only when needed

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # rdata warns about the R class "iot"
                parsed = rdata.read_rda(str(file))
    except ValidationError as exc:
        if exc.path:
            raise
        # the XDR reader's errors (a bad dim, an inflation past the cap) name no file
        raise ValidationError(str(exc), path=str(file)) from exc
    except Exception as exc:  # readers raise many types on truncated/corrupt files
        raise ValidationError(
            f"cannot read R data file ({exc.__class__.__name__}: {exc})", path=str(file)
        ) from exc
    if len(parsed) != 1:
        raise ValidationError(f"expected one object, found {list(parsed)}", path=str(file))
    table = next(iter(parsed.values()))
    required = ("inter", "final", "output", "countries", "industries")
    if not isinstance(table, dict) or any(k not in table for k in required):
        have = list(table) if isinstance(table, dict) else type(table).__name__
        raise ValidationError(
            f"not a WIOD table: needs {', '.join(required)}; has {have}", path=str(file)
        )
    countries_own = [str(c) for c in np.asarray(table["countries"])]
    sectors = [str(s) for s in np.asarray(table["industries"])]
    Z = np.asarray(table["inter"], dtype=np.float64)
    final = np.asarray(table["final"], dtype=np.float64)
    output = np.asarray(table["output"], dtype=np.float64).reshape(-1)
    file_year = int(np.asarray(table.get("year", [year or 0])).reshape(-1)[0])
    if year is not None and file_year and file_year != year:
        raise ValidationError(f"file holds year {file_year}, not {year}", path=str(file))
    names = _sector_names()
    return MRIOModel.from_arrays(
        Z,
        final,
        countries=[to_iso3(c, source="wiod") for c in countries_own],
        source_countries=countries_own,
        sectors=sectors,
        sector_names=[names.get(s, s) for s in sectors],
        fd_categories=WIOD2013_FD,
        fd_category_names=WIOD2013_FD_NAMES,
        x=output,
        rebalance=rebalance,
        year=file_year or year,
        source="wiod2013",
        units="USD million, current prices",
        inventory_category="c42",
        origin=str(file),
    )


def _sector_names() -> dict[str, str]:
    with path_of("sectors_wiod2013.csv").open("r", encoding="utf-8", newline="") as handle:
        return {row["code"]: row["name_en"] for row in csv.DictReader(handle)}


# ---------------------------------------------------------------------- R serialisation (XDR)
# R Internals, "Serialization formats": every item starts with a flags word whose low byte is
# the type; bit 9 = has attributes, bit 10 = has tag. Types read here:
_SYM, _LIST, _CHAR, _LGL, _INT, _REAL, _STR, _VEC = 1, 2, 9, 10, 13, 14, 16, 19
_EXTPTR = 22  # data.table's ".internal.selfref" attribute: read and dropped
_NIL, _REF = 254, 255
_NA_INT = -(2**31)
MAX_DECOMPRESSED_BYTES = readahead.MAX_INFLATED_BYTES  # a hostile file never inflates past this


_TWO_INTS = struct.Struct(">ii")


class _Unsupported(Exception):  # noqa: N818 (a reason to fall back, not an error)
    """An R object this reader does not handle (the caller falls back to rdata)."""


Unsupported = _Unsupported  # the name other readers of R files catch


class _RList(list):
    """A VECSXP/LISTSXP with its attributes (names, class, dim …)."""

    attributes: dict[str, Any]


def _decompress(raw: bytes) -> bytes:
    data = inflate(raw, MAX_DECOMPRESSED_BYTES)
    if data is None:
        raise ValidationError(f"inflates to more than {MAX_DECOMPRESSED_BYTES:,} bytes")
    return data


class _XdrReader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0
        self.refs: list[Any] = []

    def take(self, size: int) -> int:
        start = self.pos
        if size < 0 or start + size > len(self.data):
            raise ValidationError(
                f"R data ends early (needs {size:,} bytes at byte {start:,} of "
                f"{len(self.data):,} uncompressed)"
            )
        self.pos = start + size
        return start

    def int(self) -> int:
        return int.from_bytes(self.data[self.take(4) : self.pos], "big", signed=True)

    def length(self) -> int:
        n = self.int()
        if n == -1:  # long vector: two words
            n = (self.int() << 32) + (self.int() & 0xFFFFFFFF)
        if n < 0:
            raise ValidationError(f"negative vector length {n} at byte {self.pos:,}")
        return n

    def numbers(self, n: int, dtype: str) -> np.ndarray:
        width = np.dtype(dtype).itemsize
        start = self.take(n * width)
        return np.frombuffer(self.data, dtype=dtype, count=n, offset=start)

    def item(self) -> Any:
        flags = self.int()
        kind = flags & 0xFF
        has_attr, has_tag = bool(flags & (1 << 9)), bool(flags & (1 << 10))
        if kind == _NIL:
            return None
        if kind == _REF:
            index = flags >> 8 or self.int()
            if not 1 <= index <= len(self.refs):
                raise ValidationError(f"bad reference {index} at byte {self.pos:,}")
            return self.refs[index - 1]
        if kind == _SYM:
            name = self.item()
            self.refs.append(name)
            return name
        if kind == _LIST:
            return self.pairlist(has_attr, has_tag)
        if kind == _EXTPTR:
            self.refs.append(None)  # a pointer means nothing once saved; later refs index it
            self.item()  # protected value
            self.item()  # tag
            if has_attr:
                self.attributes()
            return None
        if kind == _CHAR:
            n = self.int()
            if n == -1:
                return None  # NA_character_
            start = self.take(n)
            return self.data[start : self.pos].decode("utf-8", errors="replace")
        if kind in (_LGL, _INT, _REAL, _STR, _VEC):
            n = self.length()
            if kind == _REAL:
                # a big-endian view of the file's bytes, made native by _with_attributes in
                # the layout its dim asks for (one copy for a matrix, not two)
                value: Any = self.numbers(n, ">f8")
            elif kind in (_INT, _LGL):
                value = self.numbers(n, ">i4")  # as for doubles; NA becomes NaN there
            elif kind == _STR:
                if n > len(self.data) - self.pos:
                    raise ValidationError(f"{n:,} strings cannot fit at byte {self.pos:,}")
                value = self.strings(n)
            else:
                if n > len(self.data) - self.pos:
                    raise ValidationError(f"{n:,} items cannot fit at byte {self.pos:,}")
                value = _RList(self.item() for _ in range(n))
            attributes = self.attributes() if has_attr else {}
            return _with_attributes(value, attributes)
        raise _Unsupported(f"R object type {kind}")

    def strings(self, n: int) -> list[str | None]:
        """A character vector's n CHARSXP items (one tight loop: tables hold 10^5-10^6)."""
        data, pos, end = self.data, self.pos, len(self.data)
        out: list[str | None] = []
        append = out.append
        for _ in range(n):
            if pos + 8 > end:
                self.pos = pos
                self.take(8)  # raises "R data ends early" with the position
            flags, size = _TWO_INTS.unpack_from(data, pos)
            if flags & 0xFF != _CHAR:
                raise _Unsupported(f"R object type {flags & 0xFF} in a character vector")
            pos += 8
            if size == -1:
                append(None)  # NA_character_
                continue
            if size < 0 or pos + size > end:
                self.pos = pos
                self.take(size)
            append(data[pos : pos + size].decode("utf-8", errors="replace"))
            pos += size
        self.pos = pos
        return out

    def pairlist(self, has_attr: bool, has_tag: bool) -> _RList:
        """A pairlist as a list with attribute 'names' from its tags (read iteratively)."""
        values, names = _RList(), []
        while True:
            if has_attr:
                self.attributes()
            names.append(self.item() if has_tag else None)
            values.append(self.item())
            flags = self.int()
            kind = flags & 0xFF
            if kind == _NIL:
                break
            if kind != _LIST:
                raise _Unsupported(f"pairlist ending in R object type {kind}")
            has_attr, has_tag = bool(flags & (1 << 9)), bool(flags & (1 << 10))
        values.attributes = {"names": names}
        return values

    def attributes(self) -> dict[str, Any]:
        pairs = self.item()
        if not isinstance(pairs, _RList):
            raise _Unsupported("attributes that are not a pairlist")
        return dict(zip(pairs.attributes["names"], pairs, strict=True))


def _native(values: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """float64 in native byte order and row-major layout from the file's big-endian doubles or
    integers (integer NA -> NaN), in one pass: R stores matrices column by column, the model
    keeps them row-major, and a native copy first would be a second matrix-sized array."""
    source = values.reshape(shape, order="F")
    out = np.empty(shape)
    np.copyto(out, source)
    if values.dtype.kind == "i":
        missing = source == _NA_INT
        if missing.any():
            out[missing] = np.nan
    return out


def _with_attributes(value: Any, attributes: dict[str, Any]) -> Any:
    dim = attributes.get("dim")
    if isinstance(value, np.ndarray):
        shape = value.shape
        if dim is not None:
            shape = tuple(int(d) for d in np.asarray(dim))
            if int(np.prod(shape)) != value.size:
                raise ValidationError(f"dim {shape} does not match {value.size:,} values")
        value = _native(value, shape)
    if isinstance(value, _RList):
        names = attributes.get("names")
        if names is not None and len(names) == len(value) and all(names):
            return dict(zip(names, value, strict=True))
        value.attributes = attributes
    return value


def read_rdata(file: Path) -> dict[str, Any]:
    """The objects of an .RData file (``save()`` format, XDR) by name.

    Lists with names become dicts, matrices NumPy arrays (float64; integer NA -> NaN),
    character vectors lists of str. Raises ``_Unsupported`` for other R objects.
    """
    # inflated on a background thread while the command was starting (util/readahead.py),
    # if the console script knew this file would be read and it is unchanged since
    data = readahead.take(file)
    if data is None:
        data = _decompress(Path(file).read_bytes())
    if data[:5] not in (b"RDX2\n", b"RDX3\n"):
        raise _Unsupported("not an RDX2/RDX3 file")
    if data[5:7] != b"X\n":
        raise _Unsupported("not in XDR format")
    reader = _XdrReader(data)
    reader.pos = 7
    version = reader.int()
    reader.int()  # R version that wrote it
    reader.int()  # minimal R version to read it
    if version == 3:
        reader.take(reader.int())  # native encoding name
    elif version != 2:
        raise _Unsupported(f"serialisation version {version}")
    top = reader.item()
    if not isinstance(top, _RList):
        raise _Unsupported("top level is not a pairlist")
    return dict(zip(top.attributes["names"], top, strict=True))
