"""pymrio interchange: ``MRIOModel.from_pymrio(io)``, ``model.to_pymrio()`` and the ``pymrio``
source, which reads a folder written by pymrio's ``IOSystem.save_all`` (txt or parquet).

A pymrio folder holds ``file_parameters.json`` (``systemtype: IOSystem`` and, per table, its
file name and numbers of index columns and header rows), the core tables (``Z``, ``Y``,
``x``, ``A``, ``unit`` — any subset from which Z, Y and x follow) and one subfolder per
extension (``systemtype: Extension``, with ``F``, ``F_Y``, ``unit``…). Tables are
``region``/``sector`` (``category`` for Y) labelled, tab-separated text or parquet.
Pickle files are refused: reading one runs code from the file.

When only A (and Y) is present, x = (I − A)⁻¹ y and Z = A x̂, as pymrio's ``calc_all``.
An extension with only coefficients S gets F = S x̂. The year is read from ``metadata.json``
when pymrio recorded one, else the year you give labels the table.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.linalg

from chainatlas.core.extensions import Extension
from chainatlas.core.model import MRIOModel
from chainatlas.errors import ChainAtlasError, DataNotFoundError, ValidationError
from chainatlas.sources.delimited import TextFile, read_labelled
from chainatlas.sources.registry import register


# ---------------------------------------------------------------------- frames -> model
def _labels(index: pd.Index, what: str) -> list[tuple[str, ...]]:
    if isinstance(index, pd.MultiIndex):
        return [tuple(str(v) for v in item) for item in index]
    return [(str(v),) for v in index]


def _country_major(labels: list[tuple[str, ...]], what: str, where: str | None):
    if not labels or len(labels[0]) < 2:
        raise ValidationError(f"{what}: expected (region, sector) labels", path=where)
    countries = list(dict.fromkeys(label[0] for label in labels))
    n = len(labels) // len(countries)
    sectors = [label[1] for label in labels[:n]]
    expected = [(c, s) for c in countries for s in sectors]
    if [tuple(label[:2]) for label in labels] != expected:
        bad = next(i for i, (a, b) in enumerate(zip(labels, expected, strict=False)) if a[:2] != b)
        raise ValidationError(
            f"{what}: label {'/'.join(labels[bad][:2])} at position {bad + 1} where "
            f"{'/'.join(expected[bad])} was expected (need region-major blocks of the same "
            "sectors)",
            path=where,
        )
    return countries, sectors


def model_from_frames(
    core: dict[str, pd.DataFrame],
    extensions: dict[str, dict[str, pd.DataFrame]],
    *,
    year: int | None = None,
    source: str = "pymrio",
    units: str | None = None,
    origin: str | None = None,
) -> MRIOModel:
    """Build a model from pymrio-style DataFrames (Z or A, Y, optional x)."""
    if "Y" not in core:
        raise ValidationError("no final demand Y in the system", path=origin)
    Yf = core["Y"]
    base = core.get("Z", core.get("A"))
    if base is None:
        raise ValidationError("neither Z nor A in the system", path=origin)
    rows = _labels(base.index, "Z")
    countries, sectors = _country_major(rows, "Z rows", origin)
    if _labels(base.columns, "Z") != rows:
        raise ValidationError("Z (or A) columns differ from its rows", path=origin)
    if _labels(Yf.index, "Y") != rows:
        raise ValidationError("Y rows differ from Z rows", path=origin)
    fd_countries, categories = _country_major(_labels(Yf.columns, "Y"), "Y columns", origin)
    if fd_countries != countries:
        raise ValidationError("Y's regions differ from Z's", path=origin)
    Y = Yf.to_numpy(dtype=float)
    x = None
    if core.get("x") is not None:
        xf = core["x"]
        if _labels(xf.index, "x") != rows:
            raise ValidationError("x rows differ from Z rows", path=origin)
        x = xf.to_numpy(dtype=float)[:, 0]
    if "Z" in core:
        Z = core["Z"].to_numpy(dtype=float)
    else:
        A = core["A"].to_numpy(dtype=float)
        if x is None:
            x = scipy.linalg.solve(np.eye(A.shape[0]) - A, Y.sum(axis=1))
        Z = A * x[None, :]
    if units is None and core.get("unit") is not None:
        found = sorted({str(u) for u in core["unit"].iloc[:, 0]})
        units = ", ".join(found)
    model = MRIOModel.from_arrays(
        Z, Y, countries=countries, sectors=sectors, fd_categories=categories, x=x,
        rebalance=False, year=year, source=source, units=units or "unknown units",
        origin=origin,
    )  # fmt: skip
    exts = []
    for name, frames in extensions.items():
        F = frames.get("F")
        if F is None and frames.get("S") is not None:
            F = frames["S"] * model.x[None, :]
        if F is None:
            continue
        if _labels(F.columns, "F") != rows:
            raise ValidationError(f"extension {name!r}: F columns differ from Z's", path=origin)
        F_Y = frames.get("F_Y")
        if F_Y is not None and [lab[:2] for lab in _labels(F_Y.columns, "F_Y")] != [
            (c, f) for c in countries for f in categories
        ]:
            raise ValidationError(f"extension {name!r}: F_Y columns differ from Y's", path=origin)
        stressors = [" - ".join(label) for label in _labels(F.index, "F")]
        unit = frames.get("unit")
        if unit is not None and len(unit) == len(stressors):
            unit_values = [str(u) for u in unit.iloc[:, 0]]
        else:
            unit_values = ["unknown"] * len(stressors)
        exts.append(Extension.build(
            name, np.asarray(F, dtype=float), stressors, unit_values,
            F_Y=None if F_Y is None else np.asarray(F_Y, dtype=float), origin=origin,
        ))  # fmt: skip
    return model.with_extensions(exts) if exts else model


def model_from_pymrio(io, *, year: int | None = None, source: str = "pymrio") -> MRIOModel:
    """A pymrio ``IOSystem`` as a validated model (its extensions as named extensions)."""
    core = {k: getattr(io, k, None) for k in ("Z", "A", "Y", "x", "unit")}
    core = {k: v for k, v in core.items() if isinstance(v, pd.DataFrame)}
    extensions = {}
    for ext in io.get_extensions(data=True):
        frames = {k: getattr(ext, k, None) for k in ("F", "F_Y", "S", "unit")}
        extensions[str(ext.name)] = {k: v for k, v in frames.items()
                                     if isinstance(v, pd.DataFrame)}  # fmt: skip
    if year is None and str(getattr(io, "year", "") or "").isdigit():
        year = int(io.year)
    return model_from_frames(core, extensions, year=year, source=source)


def model_to_pymrio(model: MRIOModel):
    """The model as a ``pymrio.IOSystem`` (Z, Y, x, unit and every extension)."""
    try:
        import pymrio
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ChainAtlasError("to_pymrio needs pymrio: pip install pymrio") from exc
    rows = pd.MultiIndex.from_product([model.countries, model.sectors],
                                      names=["region", "sector"])  # fmt: skip
    fd = pd.MultiIndex.from_product([model.countries, model.fd_categories],
                                    names=["region", "category"])  # fmt: skip
    io = pymrio.IOSystem(
        Z=pd.DataFrame(np.array(model.Z), index=rows, columns=rows),
        Y=pd.DataFrame(np.array(model.Y_full), index=rows, columns=fd),
        x=pd.DataFrame({"indout": np.array(model.x)}, index=rows),
        unit=pd.DataFrame({"unit": [model.units] * model.GN}, index=rows),
        year=model.year,
        name=model.source,
    )
    for ext in model.extensions:
        index = pd.Index(list(ext.stressors), name="stressor")
        frames = {
            "F": pd.DataFrame(np.array(ext.F), index=index, columns=rows),
            "unit": pd.DataFrame({"unit": list(ext.units)}, index=index),
        }
        if ext.F_Y is not None:
            frames["F_Y"] = pd.DataFrame(np.array(ext.F_Y), index=index, columns=fd)
        setattr(io, _attribute_name(ext.name),
                pymrio.Extension(name=ext.name, **frames))  # fmt: skip
    return io


def _attribute_name(name: str) -> str:
    cleaned = re.sub(r"\W+", "_", name).strip("_").lower() or "extension"
    return cleaned if not cleaned[0].isdigit() else f"ext_{cleaned}"


# ---------------------------------------------------------------------- pymrio folders
def _parameters(folder: Path) -> dict:
    file = folder / "file_parameters.json"
    if not file.is_file():
        raise DataNotFoundError(
            "not a folder saved by pymrio (no file_parameters.json; pymrio's save_all "
            "writes one per system and extension)",
            path=str(folder),
        )
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValidationError(f"not valid JSON: {exc}", path=str(file)) from None


def _read_table(folder: Path, spec: dict, key: str) -> pd.DataFrame:
    name = spec.get("name", f"{key}.txt")
    file = folder / name
    if not file.is_file():
        raise DataNotFoundError(f"table {key} listed in file_parameters.json is missing",
                                path=str(file))  # fmt: skip
    suffix = file.suffix.lower()
    if suffix in (".pkl", ".pickle"):
        raise ValidationError(
            "pickle tables are not read (unpickling runs code from the file); save with "
            "pymrio's save_all(table_format='txt' or 'parquet')",
            path=str(file),
        )
    if suffix == ".parquet":
        try:
            return pd.read_parquet(file)
        except Exception as exc:  # pyarrow raises several types for corrupt files
            raise ValidationError(f"cannot read parquet: {exc}", path=str(file)) from None
    n_index, n_header = int(spec.get("nr_index_col", 1)), int(spec.get("nr_header", 1))
    if key == "unit":  # text values: read as labels
        return pd.read_csv(file, sep="\t", index_col=list(range(n_index)))
    matrix = read_labelled(TextFile(file), index_columns=n_index, header_rows=n_header,
                           what=key)  # fmt: skip
    index = (pd.MultiIndex.from_tuples(matrix.rows) if n_index > 1
             else pd.Index([r[0] for r in matrix.rows]))  # fmt: skip
    columns = (pd.MultiIndex.from_tuples(matrix.columns) if n_header > 1
               else pd.Index([c[0] for c in matrix.columns]))  # fmt: skip
    return pd.DataFrame(matrix.values, index=index, columns=columns)


def _read_system(folder: Path, keys: tuple[str, ...]) -> dict[str, pd.DataFrame]:
    files = _parameters(folder).get("files", {})
    out = {}
    for key in keys:
        if key in files:
            out[key] = _read_table(folder, files[key], key)
    if "F_Y" not in out and "F_hh" in files and "F_Y" in keys:
        out["F_Y"] = _read_table(folder, files["F_hh"], "F_hh")
    return out


def is_pymrio_folder(path: Path) -> bool:
    file = Path(path) / "file_parameters.json"
    if not file.is_file():
        return False
    try:
        return json.loads(file.read_text(encoding="utf-8")).get("systemtype") == "IOSystem"
    except (json.JSONDecodeError, UnicodeDecodeError):
        return False


def _metadata_year(folder: Path) -> int | None:
    meta = folder / "metadata.json"
    try:
        data = json.loads(meta.read_text(encoding="utf-8")) if meta.is_file() else {}
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    value = str(data.get("year", ""))
    return int(value) if value.isdigit() else None


def pymrio_years(path: Path) -> list[int] | None:
    """The recorded year; None (= any year you give labels the table) when pymrio recorded
    none, which is the usual case: ``save_all`` does not store the year."""
    path = Path(path)
    if is_pymrio_folder(path):
        year = _metadata_year(path)
        return [year] if year is not None else None
    return sorted(int(p.name) for p in path.iterdir()
                  if p.is_dir() and p.name.isdigit() and is_pymrio_folder(p)) if path.is_dir() \
        else []  # fmt: skip


@register(
    "pymrio",
    list_years=pymrio_years,
    description="a folder written by pymrio's save_all (file_parameters.json; txt or parquet)",
)
def load_pymrio_folder(path: Path, year: int | None = None) -> MRIOModel:
    """Read a pymrio ``save_all`` folder (or a folder of ``YYYY/`` such folders)."""
    folder = Path(path)
    if not is_pymrio_folder(folder) and year is not None and is_pymrio_folder(folder / str(year)):
        folder = folder / str(year)
    params = _parameters(folder)
    if params.get("systemtype") != "IOSystem":
        raise ValidationError(
            f"file_parameters.json has systemtype {params.get('systemtype')!r}; expected "
            "'IOSystem' (give the system's folder, not one extension's)",
            path=str(folder / "file_parameters.json"),
        )
    stored_year = _metadata_year(folder)
    if year is not None and stored_year is not None and stored_year != year:
        raise ValidationError(f"the system holds year {stored_year}, not {year}",
                              path=str(folder))  # fmt: skip
    core = _read_system(folder, ("Z", "A", "Y", "x", "unit"))
    extensions = {}
    for child in sorted(p for p in folder.iterdir() if p.is_dir()):
        if not (child / "file_parameters.json").is_file():
            continue
        ext_params = _parameters(child)
        if ext_params.get("systemtype") != "Extension":
            continue
        extensions[str(ext_params.get("name", child.name))] = _read_system(
            child, ("F", "F_Y", "S", "unit")
        )
    return model_from_frames(core, extensions, year=stored_year or year, origin=str(folder))
