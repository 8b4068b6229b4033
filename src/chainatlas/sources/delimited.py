"""Fast, exact reading of the large delimited text matrices MRIO publishers ship.

EXIOBASE (tab-separated, label columns and header rows), Eora (tab-separated, no labels: the
labels are in separate files) and GLORIA (comma-separated, no labels) all publish one dense
numeric block per file. The block is parsed with pyarrow's multi-threaded CSV reader (about
an order of magnitude faster than a Python loop, and exact: the same float64 as
``float(text)``); only when that fails is the file scanned again line by line, to name the
line and column of the first bad cell (empty, non-numeric, or a row of the wrong length —
a cut file). A member of a ``.zip`` is read in place, without unpacking.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from chainatlas.errors import DataNotFoundError, ValidationError


@dataclass(frozen=True)
class TextFile:
    """A text file on disk, or a member of a zip archive."""

    path: Path
    member: str | None = None

    @property
    def name(self) -> str:
        return Path(self.member).name if self.member else self.path.name

    def __str__(self) -> str:
        return f"{self.path}!{self.member}" if self.member else str(self.path)

    def size(self) -> int:
        if self.member is None:
            return self.path.stat().st_size
        with zipfile.ZipFile(self.path) as archive:
            return archive.getinfo(self.member).file_size

    @contextmanager
    def open_binary(self) -> Iterator[io.BufferedIOBase]:
        try:
            if self.member is None:
                with open(self.path, "rb") as handle:
                    yield handle
            else:
                with zipfile.ZipFile(self.path) as archive, archive.open(self.member) as handle:
                    yield handle
        except FileNotFoundError:
            raise DataNotFoundError("file not found", path=str(self)) from None
        except (zipfile.BadZipFile, KeyError, EOFError) as exc:
            raise ValidationError(f"cannot read zip member: {exc}", path=str(self)) from None

    def head(self, n_lines: int, sep: str) -> list[list[str]]:
        """The first ``n_lines`` lines split at ``sep`` (for header rows)."""
        rows: list[list[str]] = []
        with self.open_binary() as handle:
            text = io.TextIOWrapper(handle, encoding="utf-8", errors="replace", newline="")
            for line in text:
                rows.append(line.rstrip("\r\n").split(sep))
                if len(rows) >= n_lines:
                    break
        return rows

    def read_text(self) -> str:
        with self.open_binary() as handle:
            return handle.read().decode("utf-8", errors="replace")


def read_block(
    file: TextFile,
    *,
    sep: str,
    skip_lines: int = 0,
    label_columns: int = 0,
    what: str = "",
) -> tuple[list[list[str]], np.ndarray]:
    """Parse lines after ``skip_lines`` as ``label_columns`` text columns + a float block.

    Returns (labels per label column, values (rows, cols)). Any empty or non-numeric value,
    or a line with a different number of fields, is a ValidationError naming the line
    (1-based, counting every line of the file) and the column.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    head = file.head(skip_lines + 1, sep)
    if len(head) <= skip_lines:
        raise ValidationError(f"{what or 'table'}: no data lines", path=str(file))
    n_fields = len(head[skip_lines])
    # a trailing separator on every line (Eora's files) is an empty last field: ignore it
    trailing = n_fields > label_columns + 1 and head[skip_lines][-1].strip() == ""
    if n_fields <= label_columns:
        raise ValidationError(
            f"{what or 'table'}: line {skip_lines + 1} has {n_fields} field(s), no values",
            path=str(file),
        )
    names = [f"c{i}" for i in range(n_fields)]
    types = {name: (pa.string() if i < label_columns else pa.float64()) for i, name in
             enumerate(names)}  # fmt: skip
    if trailing:
        types[names[-1]] = pa.string()
    try:
        with file.open_binary() as handle:
            table = pacsv.read_csv(
                handle,
                read_options=pacsv.ReadOptions(
                    skip_rows=skip_lines, column_names=names, block_size=1 << 24
                ),
                parse_options=pacsv.ParseOptions(delimiter=sep),
                convert_options=pacsv.ConvertOptions(
                    column_types=types, strings_can_be_null=False,
                    quoted_strings_can_be_null=False, null_values=[],  # 'n/a', 'NA' are errors
                ),
            )
    except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeDecodeError):
        _locate_bad_cell(file, sep=sep, skip_lines=skip_lines, label_columns=label_columns,
                         n_fields=n_fields, trailing=trailing, what=what)  # fmt: skip
        raise  # pragma: no cover - _locate_bad_cell always raises
    n_values = n_fields - 1 if trailing else n_fields
    values = np.empty((table.num_rows, n_values - label_columns), dtype=np.float64)
    for j in range(label_columns, n_values):
        column = table.column(j)
        if column.null_count:
            row = int(np.flatnonzero(column.is_null().to_numpy(zero_copy_only=False))[0])
            raise ValidationError(
                f"{what or 'table'}: empty cell",
                path=str(file),
                location=f"line {skip_lines + row + 1}, column {j + 1}",
            )
        values[:, j - label_columns] = column.to_numpy()
    labels = [table.column(j).to_pylist() for j in range(label_columns)]
    return labels, values


def _locate_bad_cell(
    file: TextFile, *, sep: str, skip_lines: int, label_columns: int, n_fields: int,
    trailing: bool = False, what: str = "",
) -> None:
    with file.open_binary() as handle:
        text = io.TextIOWrapper(handle, encoding="utf-8", errors="replace", newline="")
        reader = csv.reader(text, delimiter=sep)
        for line_no, row in enumerate(reader, start=1):
            if line_no <= skip_lines:
                continue
            if len(row) != n_fields:
                raise ValidationError(
                    f"{what or 'table'}: {len(row)} fields, expected {n_fields} "
                    "(cut or malformed file?)",
                    path=str(file),
                    location=f"line {line_no}",
                )
            for j in range(label_columns, n_fields - 1 if trailing else n_fields):
                try:
                    float(row[j])
                except ValueError:
                    shown = "empty cell" if not row[j].strip() else f"{row[j]!r} is not a number"
                    raise ValidationError(
                        f"{what or 'table'}: {shown}",
                        path=str(file),
                        location=f"line {line_no}, column {j + 1}"
                        + (f" (row {row[0]})" if label_columns else ""),
                    ) from None
    raise ValidationError(f"{what or 'table'}: cannot parse", path=str(file))


def zip_members(path: Path) -> list[str]:
    try:
        with zipfile.ZipFile(path) as archive:
            return [n for n in archive.namelist() if not n.endswith("/")]
    except (zipfile.BadZipFile, OSError) as exc:
        raise ValidationError(f"not a readable zip archive: {exc}", path=str(path)) from None


@dataclass(frozen=True)
class LabelledMatrix:
    """A matrix read with its row labels (tuples) and column labels (tuples)."""

    file: TextFile
    rows: list[tuple[str, ...]]
    columns: list[tuple[str, ...]]
    values: np.ndarray
    first_data_line: int  # 1-based line of the first data row


def read_labelled(
    file: TextFile, *, index_columns: int, header_rows: int, sep: str = "\t", what: str = ""
) -> LabelledMatrix:
    """A pandas-style text matrix: ``header_rows`` label rows, ``index_columns`` label columns.

    pandas (and so pymrio and EXIOBASE) writes an extra line with the index names after the
    header rows when the index is named (``region\\tsector\\t\\t…``); it is recognised by its
    empty value fields and skipped.
    """
    head = file.head(header_rows + 1, sep)
    if len(head) < header_rows + 1:
        raise ValidationError(
            f"{what or 'table'}: {len(head)} line(s), expected {header_rows} header row(s) and "
            "data (cut file?)",
            path=str(file),
        )
    header = head[:header_rows]
    widths = {len(h) for h in header}
    if len(widths) != 1:
        raise ValidationError(
            f"{what or 'table'}: header rows have different numbers of fields "
            f"({', '.join(str(len(h)) for h in header)})",
            path=str(file),
        )
    columns = list(zip(*(h[index_columns:] for h in header), strict=True))
    skip = header_rows
    names_line = head[header_rows]
    if len(names_line) >= index_columns and not any(v.strip() for v in names_line[index_columns:]):
        skip += 1
    labels, values = read_block(file, sep=sep, skip_lines=skip, label_columns=index_columns,
                                what=what)  # fmt: skip
    if values.shape[1] != len(columns):
        raise ValidationError(
            f"{what or 'table'}: {values.shape[1]} value columns but {len(columns)} column "
            "labels in the header",
            path=str(file),
        )
    rows = list(zip(*labels, strict=True)) if labels else [() for _ in range(values.shape[0])]
    return LabelledMatrix(file, rows, columns, values, skip + 1)


def check_labels_equal(
    found: list[tuple[str, ...]],
    expected: list[tuple[str, ...]],
    *,
    file: TextFile,
    kind: str,
    first_line: int | None = None,
) -> None:
    """Labels must match exactly; else name the first position that differs."""
    if len(found) != len(expected):
        raise ValidationError(
            f"{len(found)} {kind}s, expected {len(expected)} (cut file or another release?)",
            path=str(file),
        )
    for i, (a, b) in enumerate(zip(found, expected, strict=True)):
        if tuple(a) != tuple(b):
            where = (
                f"line {first_line + i}" if first_line is not None else f"{kind} {i + 1}"
            )
            raise ValidationError(
                f"{kind} {'/'.join(a)} where {'/'.join(b)} was expected",
                path=str(file),
                location=where,
            )


def country_major(
    labels: list[tuple[str, str]], *, file: TextFile, kind: str
) -> tuple[list[str], list[str]]:
    """Split (country, sector) labels into countries and one sector list, checking order."""
    countries = list(dict.fromkeys(label[0] for label in labels))
    if not countries or len(labels) % len(countries):
        raise ValidationError(
            f"{len(labels)} {kind}s do not split into equal country blocks", path=str(file)
        )
    n = len(labels) // len(countries)
    sectors = [label[1] for label in labels[:n]]
    expected = [(c, s) for c in countries for s in sectors]
    check_labels_equal([tuple(x[:2]) for x in labels], expected, file=file, kind=kind)
    return countries, sectors


def iter_row_blocks(
    file: TextFile, *, sep: str, n_columns: int, what: str = "", block_size: int = 1 << 24
) -> Iterator[tuple[int, np.ndarray]]:
    """Stream an unlabelled numeric matrix as (first row, block of rows) pieces.

    For matrices too large to hold twice (GLORIA's T is 39 360 × 39 360): the caller keeps
    only the sub-blocks it needs. Errors name the line and column, as :func:`read_block`.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    names = [f"c{i}" for i in range(n_columns)]
    start = 0
    try:
        with file.open_binary() as handle:
            reader = pacsv.open_csv(
                handle,
                read_options=pacsv.ReadOptions(column_names=names, block_size=block_size),
                parse_options=pacsv.ParseOptions(delimiter=sep),
                convert_options=pacsv.ConvertOptions(
                    column_types={n: pa.float64() for n in names}, null_values=[]
                ),
            )
            for batch in reader:
                block = np.empty((batch.num_rows, n_columns))
                for j in range(n_columns):
                    column = batch.column(j)
                    if column.null_count:
                        row = int(np.flatnonzero(column.is_null().to_numpy(
                            zero_copy_only=False))[0])  # fmt: skip
                        raise ValidationError(
                            f"{what or 'table'}: empty cell", path=str(file),
                            location=f"line {start + row + 1}, column {j + 1}",
                        )  # fmt: skip
                    block[:, j] = column.to_numpy()
                yield start, block
                start += batch.num_rows
    except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeDecodeError):
        _locate_bad_cell(file, sep=sep, skip_lines=0, label_columns=0, n_fields=n_columns,
                         what=what)  # fmt: skip
