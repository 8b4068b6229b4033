"""Fast CSV and Parquet writers through Arrow, from arrays or DataFrames.

pandas' ``to_csv`` formats every value in Python (1.2 s for the 918k rows of a full-level
WWZ table); Arrow's writer does it in C++. Label columns given as codes into a short list
(:class:`Labels`) are written without ever building one Python string per row.

The CSV means what pandas' would: the same header and columns, strings quoted only when
needed (or all strings quoted when one needs it), missing values and NaN as empty fields,
floats written in the shortest form that reads back to the same float64 (``0.00001`` where
pandas writes ``1e-05``) and always with a decimal point or exponent, so a float column reads
back as float64, never int64 (``123.0``, not ``123``); booleans as True/False.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Labels:
    """A string column as positions into a short list of labels (row i is labels[codes[i]];
    a code of -1 is a missing value)."""

    codes: np.ndarray
    labels: Sequence[str]

    def __len__(self) -> int:
        return len(self.codes)


Column = Any  # np.ndarray (numeric or bool), Labels, a list of str, or a scalar (broadcast)
_NEEDS_QUOTES = (",", '"', "\n", "\r")


def _buffer_array(values: np.ndarray, missing: np.ndarray | None = None) -> Any:
    """A numeric NumPy array as an Arrow array over the same memory.

    Built from buffers because ``pyarrow.array()`` imports pandas (0.3 s) to check whether
    its argument is a pandas object, even for a NumPy array or a list.
    """
    import pyarrow as pa

    if values.dtype == np.bool_:
        arrow_type, data = pa.bool_(), np.packbits(values, bitorder="little")
    else:
        values = np.ascontiguousarray(values)
        arrow_type, data = pa.from_numpy_dtype(values.dtype), values
    validity = None
    if missing is not None and missing.any():
        validity = pa.py_buffer(np.packbits(~missing, bitorder="little"))
    return pa.Array.from_buffers(arrow_type, len(values), [validity, pa.py_buffer(data)])


def _string_array(labels: Sequence[str | None]) -> Any:
    import pyarrow as pa

    encoded = [b"" if label is None else label.encode("utf-8") for label in labels]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(e) for e in encoded], out=offsets[1:])
    missing = np.array([label is None for label in labels], dtype=bool)
    validity = pa.py_buffer(np.packbits(~missing, bitorder="little")) if missing.any() else None
    buffers = [validity, pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))]
    return pa.Array.from_buffers(pa.large_string(), len(encoded), buffers)


def _labels_array(codes: np.ndarray, labels: Sequence[str]) -> Any:
    """Row i = labels[codes[i]] (missing where the code is -1) as an Arrow string array,
    gathered with NumPy (Arrow's dictionary_decode imports pyarrow.compute: 0.1-0.3 s)."""
    import pyarrow as pa

    codes = np.asarray(codes, dtype=np.int64)
    encoded = [label.encode("utf-8") for label in labels]
    label_bytes = np.frombuffer(b"".join(encoded) or b"\0", dtype=np.uint8)
    label_length = np.array([len(e) for e in encoded] + [0], dtype=np.int64)  # [-1]: missing
    label_start = np.concatenate([[0], np.cumsum(label_length[:-1])])
    lengths = label_length[codes]
    offsets = np.zeros(len(codes) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    # byte j of row i is label_bytes[label_start[codes[i]] + j]
    index = np.int32 if offsets[-1] < 2**31 else np.int64  # half the memory traffic
    shift = (label_start[codes] - offsets[:-1]).astype(index)
    gather = np.repeat(shift, lengths) + np.arange(offsets[-1], dtype=index)
    data = label_bytes[gather]
    missing = codes < 0
    validity = pa.py_buffer(np.packbits(~missing, bitorder="little")) if missing.any() else None
    buffers = [validity, pa.py_buffer(offsets), pa.py_buffer(data)]
    return pa.Array.from_buffers(pa.large_string(), len(codes), buffers)


def _arrow_column(column: Column, rows: int) -> tuple[Any, bool]:
    """(Arrow array, whether it holds strings needing CSV quotes)."""
    if isinstance(column, Labels):
        labels = [str(label) for label in column.labels]
        quotes = any(any(c in label for c in _NEEDS_QUOTES) for label in labels)
        return _labels_array(column.codes, labels), quotes
    if isinstance(column, str):
        return _arrow_column(Labels(np.zeros(rows, dtype=np.int32), [column]), rows)
    if isinstance(column, int | float | bool | np.generic):
        column = np.full(rows, column)
    if isinstance(column, np.ndarray) and column.dtype.kind in "biuf":
        # NaN -> missing, as pandas writes it
        return _buffer_array(column, np.isnan(column) if column.dtype.kind == "f" else None), False
    values = list(column)
    if all(v is None or isinstance(v, str) for v in values):
        quotes = any(v is not None and any(c in v for c in _NEEDS_QUOTES) for v in values)
        return _string_array(values), quotes
    raise TypeError(f"unsupported column of {type(column).__name__}")


def _csv_text(array: Any, column: Column) -> Any:
    """Floats and booleans as the strings pandas would write (see the module docstring).

    Arrow's writer formats floats itself; only a column of whole numbers needs "123.0" for
    "123" (else it would read back as int64). ``pyarrow.compute`` costs 0.1-0.2 s to import,
    so it is used only for such columns and for booleans.
    """
    import pyarrow as pa

    if pa.types.is_floating(array.type):
        values = np.asarray(column, dtype=np.float64) if not np.isscalar(column) else None
        if values is not None and not np.all(np.floor(values) == values, where=~np.isnan(values)):
            return array
        import pyarrow.compute as pc

        text = pc.cast(array, pa.string())
        return pc.replace_substring_regex(text, r"^(-?\d+)$", r"\1.0")  # and "-0" -> "-0.0"
    if pa.types.is_boolean(array.type):
        import pyarrow.compute as pc

        return pc.utf8_capitalize(pc.cast(array, pa.string()))  # true -> True
    return array


def _table(columns: Mapping[str, Column], *, for_csv: bool) -> tuple[Any, bool]:
    import pyarrow as pa

    rows = _row_count(columns)
    arrays, names, quotes = [], [], False
    for name, column in columns.items():
        array, needs_quotes = _arrow_column(column, rows)
        arrays.append(_csv_text(array, column) if for_csv else array)
        names.append(str(name))
        quotes = quotes or needs_quotes
    return pa.Table.from_arrays(arrays, names=names), quotes


# Up to this many rows a plain-Python writer is quicker than importing pyarrow (~0.1 s).
SMALL_TABLE_ROWS = 50_000


def write_csv_columns(columns: Mapping[str, Column], path: str | os.PathLike[str]) -> None:
    """Write columns (in order) as CSV with a header to ``path`` (not atomic: see write_table)."""
    rows = _row_count(columns)
    if len(columns) == 1:  # an empty field alone on its line must be quoted: pandas knows
        _pandas_frame(columns).to_csv(path, index=False)
        return
    if rows <= SMALL_TABLE_ROWS:
        text = _small_csv(columns, rows)
        if text is not None:
            Path(path).write_bytes(text.encode("utf-8"))
            return
    import pyarrow.csv as pacsv

    table, quotes = _table(columns, for_csv=True)
    if quotes:  # a label with a comma, quote or line break: pandas' writer quotes just those
        _pandas_frame(columns).to_csv(path, index=False)
        return
    header = io.StringIO()
    csv.writer(header, lineterminator="\n").writerow(list(columns))  # pandas' header quoting
    options = pacsv.WriteOptions(include_header=False, quoting_style="none")
    with open(path, "wb") as handle:
        handle.write(header.getvalue().encode("utf-8"))
        if table.num_rows:
            pacsv.write_csv(table, handle, write_options=options)


def _row_count(columns: Mapping[str, Column]) -> int:
    lengths = {len(c) for c in columns.values() if not np.isscalar(c) and not isinstance(c, str)}
    if len(lengths) > 1:
        raise ValueError(f"columns of different lengths {sorted(lengths)}")
    return lengths.pop() if lengths else 1


def _small_csv(columns: Mapping[str, Column], rows: int) -> str | None:
    """The CSV pandas writes (repr of each float, '' for missing), byte for byte; None when a
    value would need quotes (then the general path decides)."""
    texts: list[list[str]] = []
    for column in columns.values():
        if isinstance(column, Labels):
            labels = [str(label) for label in column.labels] + [""]  # code -1: missing
            texts.append([labels[c] for c in np.asarray(column.codes).tolist()])
        elif isinstance(column, str | int | float | bool | np.generic):
            value = column.item() if isinstance(column, np.generic) else column
            texts.append([_cell(value)] * rows)
        elif isinstance(column, np.ndarray) and column.dtype.kind in "biuf":
            texts.append([_cell(v) for v in column.tolist()])
        else:
            texts.append([_cell(v) for v in column])
        if any(any(c in t for c in _NEEDS_QUOTES) for t in set(texts[-1])):
            return None
    header = io.StringIO()
    csv.writer(header, lineterminator="\n").writerow(list(columns))
    body = "".join(",".join(row) + "\n" for row in zip(*texts, strict=True))
    return header.getvalue() + body


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, float):
        return repr(value)  # shortest round-trip form, as pandas writes it
    return str(value)


def _pandas_frame(columns: Mapping[str, Column]) -> Any:

    table, _ = _table(columns, for_csv=False)
    return table.to_pandas()


def write_parquet_columns(columns: Mapping[str, Column], path: str | os.PathLike[str]) -> None:
    """Write columns as a Parquet file (strings as plain strings, read back as by pandas)."""
    import pyarrow.parquet as pq

    table, _ = _table(columns, for_csv=False)
    pq.write_table(table, path)


def frame_columns(frame: Any) -> dict[str, Column] | None:
    """A DataFrame's columns for the Arrow writers, or None if one needs pandas' own writer
    (dates, categories, nullable or mixed types, a non-string or repeated column name)."""
    if not all(isinstance(c, str) for c in frame.columns) or frame.columns.has_duplicates:
        return None
    columns: dict[str, Column] = {}
    for name in frame.columns:
        series = frame[name]
        kind = series.dtype.kind if isinstance(series.dtype, np.dtype) else None
        if kind in ("b", "i", "u") or (kind == "f" and series.dtype == np.float64):
            columns[name] = series.to_numpy()
            continue
        if kind == "O" or str(series.dtype) in ("str", "string"):
            import pandas as pd

            codes, uniques = pd.factorize(series, use_na_sentinel=True)  # None/NaN -> -1
            labels = list(uniques)
            if not all(type(v) is str for v in labels):
                return None
            columns[name] = Labels(codes, labels)
            continue
        return None
    return columns


def write_frame_csv(frame: Any, path: str | os.PathLike[str]) -> None:
    """``frame.to_csv(path, index=False)``, through Arrow when the columns allow it."""
    columns = frame_columns(frame)
    if columns is None or len(frame.columns) == 0:
        frame.to_csv(path, index=False)
        return
    write_csv_columns(columns, Path(path))


__all__ = [
    "Labels",
    "frame_columns",
    "write_csv_columns",
    "write_frame_csv",
    "write_parquet_columns",
]
