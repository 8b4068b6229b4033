"""EXIOBASE 3 (exiobase.eu; Zenodo record 5589597 and later), ixi and pxp.

EXIOBASE 3 is published as one zip per year and system, ``IOT_YYYY_ixi.zip`` (industry by
industry, 163 industries) or ``IOT_YYYY_pxp.zip`` (product by product, 200 products), for 44
countries and five rest-of-world regions (WA, WE, WF, WL, WM). The zip holds one folder
(``IOT_2011_ixi/``) written by pymrio's ``save_all``:

* ``A.txt``, ``Z.txt``, ``Y.txt``, ``x.txt``, ``unit.txt``, ``file_parameters.json``
  (tab-separated; labels: two header rows region/sector — region/category for Y — and two
  index columns region/sector; pandas' index-name line after the header rows);
* one folder per satellite account (``satellite/`` and ``impacts/`` up to 3.8;
  ``air_emissions/``, ``employment/``, ``energy/``, ``land/``, ``material/``, ``nutrients/``,
  ``water/`` from 3.9), each with ``F.txt`` (stressors × region-sector), ``F_Y.txt``
  (stressors × region-category; named ``F_hh.txt`` in older releases), ``unit.txt``
  (stressor, unit) and ``file_parameters.json``.

What the loader does, and why:

* Z and x are used when published (Z.txt, x.txt). A release with only A and Y (the 3.4
  files, the pymrio test system) gets x = (I − A)⁻¹ y and Z = A x̂ — exactly what
  ``pymrio.IOSystem.calc_all`` does, so the two agree to rounding.
* Country codes (ISO 3166 alpha-2) become ISO3 (``DE`` → ``DEU``); the rest-of-world regions
  keep their codes; the 3.4 ixi mix-up (``AUS``, ``WWF``…) is cleaned as pymrio does. The
  published codes stay in ``source_countries``.
* The seven final-demand categories get short codes (HFCE, NPISH, GGFC, GFCF, INVNT,
  VALU, EXP) with the published names; ``INVNT`` (changes in inventories) is the inventory
  category.
* Every satellite folder becomes a named :class:`~chainatlas.core.extensions.Extension`
  with its stressors, units and F_Y.

EXIOBASE 1 and 2 (``mrIot*.txt`` files) are a different layout (coefficients with separate
factor-input and emission files); they are refused with an error naming the release.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.linalg

from chainatlas.core.extensions import Extension
from chainatlas.core.model import MRIOModel
from chainatlas.errors import DataNotFoundError, ValidationError
from chainatlas.sources.codes import to_iso3
from chainatlas.sources.delimited import (
    TextFile,
    check_labels_equal,
    country_major,
    read_labelled,
    zip_members,
)
from chainatlas.sources.registry import register

FD_CODES = {
    "final consumption expenditure by households": "HFCE",
    "final consumption expenditure by non-profit organisations serving households (npish)": (
        "NPISH"
    ),
    "final consumption expenditure by government": "GGFC",
    "gross fixed capital formation": "GFCF",
    "changes in inventories": "INVNT",
    "changes in valuables": "VALU",
    "export": "EXP",
    "exports: total (fob)": "EXP",
}
EXIO_NAME = re.compile(r"IOT_(?P<year>\d{4})_(?P<system>ixi|pxp)", re.I)
EXIO12_HINT = re.compile(r"mrIot.*\.txt$", re.I)


@dataclass(frozen=True)
class ExiobaseRelease:
    """Where one EXIOBASE 3 year lives: a folder, or a zip (with a folder prefix inside)."""

    root: Path  # folder, or the zip file
    prefix: str  # inside a zip: "IOT_2011_ixi/" or ""; on disk: ""
    members: tuple[str, ...]  # relative file names (posix) below root/prefix
    year: int | None
    system: str | None

    def file(self, name: str) -> TextFile:
        if self.root.is_dir():
            return TextFile(self.root / name)
        return TextFile(self.root, self.prefix + name)

    def has(self, name: str) -> bool:
        return name in self.members

    def __str__(self) -> str:
        return str(self.root / self.prefix) if self.prefix else str(self.root)


# ---------------------------------------------------------------------- finding files
def _release_from_folder(folder: Path) -> ExiobaseRelease | None:
    if not (folder / "A.txt").is_file() and not (folder / "Z.txt").is_file():
        return None
    members = tuple(
        p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()
    )
    year, system = _name_year_system(folder.name)
    return ExiobaseRelease(folder, "", members, year or _metadata_year(folder), system)


def _release_from_zip(file: Path) -> ExiobaseRelease | None:
    names = zip_members(file)
    cores = [n for n in names if Path(n).name in ("A.txt", "Z.txt")]
    if not cores:
        return None
    prefix = min((n.rsplit("/", 1)[0] + "/" if "/" in n else "" for n in cores), key=len)
    members = tuple(n[len(prefix):] for n in names if n.startswith(prefix))
    year, system = _name_year_system(file.name)
    if year is None:
        year, system = _name_year_system(prefix)
    return ExiobaseRelease(file, prefix, members, year, system)


def _name_year_system(name: str) -> tuple[int | None, str | None]:
    match = EXIO_NAME.search(name)
    if not match:
        return None, None
    return int(match.group("year")), match.group("system").lower()


def _metadata_year(folder: Path) -> int | None:
    meta = folder / "metadata.json"
    if not meta.is_file():
        return None
    try:
        data = json.loads(meta.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    if str(data.get("year", "")).isdigit():
        return int(data["year"])
    match = re.search(r"\b(19|20)\d{2}\b", str(data.get("description", "")))
    return int(match.group(0)) if match else None


def _refuse_older_release(path: Path) -> None:
    names = (
        [p.name for p in path.iterdir()] if path.is_dir() else
        (zip_members(path) if path.suffix.lower() == ".zip" else [path.name])
    )  # fmt: skip
    if any(EXIO12_HINT.search(n) for n in names):
        release = "EXIOBASE 2" if any("version2" in n for n in names) else "EXIOBASE 1"
        raise ValidationError(
            f"this is {release} (mrIot*.txt coefficient files); the exiobase3 loader reads "
            "EXIOBASE 3 (IOT_YYYY_ixi.zip / IOT_YYYY_pxp.zip with A.txt, Y.txt, satellite/F.txt)",
            path=str(path),
        )


def releases(path: Path) -> list[ExiobaseRelease]:
    """Every EXIOBASE 3 year below ``path`` (a zip, a release folder, or a folder of them)."""
    path = Path(path)
    if path.is_file():
        if path.suffix.lower() != ".zip":
            raise ValidationError(
                "expected an EXIOBASE 3 zip (IOT_YYYY_ixi.zip) or its unpacked folder",
                path=str(path),
            )
        release = _release_from_zip(path)
        return [release] if release else []
    if not path.is_dir():
        raise DataNotFoundError("no such file or directory", path=str(path))
    own = _release_from_folder(path)
    if own is not None:
        return [own]
    found = []
    for child in sorted(path.iterdir()):
        if child.name.startswith("."):
            continue
        if child.is_dir():
            release = _release_from_folder(child)
        elif child.suffix.lower() == ".zip" and EXIO_NAME.search(child.name):
            release = _release_from_zip(child)
        else:
            release = None
        if release is not None:
            found.append(release)
    return found


def exiobase_years(path: Path) -> list[int]:
    return sorted({r.year for r in releases(path) if r.year is not None})


def find_release(path: Path, year: int | None, system: str | None) -> ExiobaseRelease:
    found = releases(path)
    if not found:
        _refuse_older_release(Path(path))
        raise DataNotFoundError(
            "no EXIOBASE 3 files here: expected IOT_YYYY_ixi.zip / IOT_YYYY_pxp.zip or an "
            "unpacked folder with A.txt (or Z.txt), Y.txt and satellite/F.txt",
            path=str(path),
        )
    if system is not None:
        if system.lower() not in ("ixi", "pxp"):
            raise ValidationError(f"system must be 'ixi' or 'pxp', not {system!r}")
        found = [r for r in found if r.system in (None, system.lower())]
    if len(found) == 1:
        release = found[0]
        if year is not None and release.year is not None and release.year != year:
            raise ValidationError(f"the files hold year {release.year}, not {year}",
                                  path=str(release))  # fmt: skip
        return release
    years = sorted({r.year for r in found if r.year is not None})
    if year is None:
        raise ValidationError(
            f"a year is needed; available: {', '.join(map(str, years))}", path=str(path)
        )
    matching = [r for r in found if r.year == year]
    if not matching:
        raise DataNotFoundError(
            f"unknown year {year}; available: {', '.join(map(str, years))}", path=str(path)
        )
    if len(matching) > 1:
        raise ValidationError(
            f"several EXIOBASE systems for {year}: "
            f"{', '.join(Path(str(r)).name for r in matching)}; pass system='ixi' or 'pxp'",
            path=str(path),
        )
    return matching[0]


# ---------------------------------------------------------------------- parsing
def _parameters(release: ExiobaseRelease, folder: str = "") -> dict[str, dict]:
    """file_parameters.json of the core (folder "") or of an extension folder."""
    name = f"{folder}file_parameters.json"
    if not release.has(name):
        return {}
    try:
        data = json.loads(release.file(name).read_text())
    except json.JSONDecodeError as exc:
        raise ValidationError(f"not valid JSON: {exc}", path=str(release.file(name))) from None
    return data.get("files", {})


def _read(release: ExiobaseRelease, key: str, default_name: str, index: int, header: int,
          params: dict, folder: str = "", what: str = ""):  # fmt: skip
    spec = params.get(key, {})
    name = folder + spec.get("name", default_name)
    return read_labelled(
        release.file(name),
        index_columns=int(spec.get("nr_index_col", index)),
        header_rows=int(spec.get("nr_header", header)),
        what=what or key,
    )


def _unit_table(release: ExiobaseRelease, name: str) -> dict[tuple[str, ...], str]:
    if not release.has(name):
        return {}
    lines = [line.split("\t") for line in release.file(name).read_text().splitlines() if line]
    return {tuple(parts[:-1]): parts[-1] for parts in lines[1:] if len(parts) >= 2}


def _extension(release: ExiobaseRelease, folder: str, matrix, fd_matrix) -> Extension:
    params = _parameters(release, folder)
    f_name = folder + params.get("F", {}).get("name", "F.txt")
    F = _read(release, "F", "F.txt", 1, 2, params, folder, what=f"{folder}F")
    check_labels_equal(F.columns, matrix.rows, file=F.file, kind="column label (region/sector)")
    F_Y = None
    fy_key = next((k for k in ("F_Y", "F_hh") if k in params), None)
    fy_name = params[fy_key]["name"] if fy_key else next(
        (n for n in ("F_Y.txt", "F_hh.txt") if release.has(folder + n)), None
    )  # fmt: skip
    if fy_name is not None:
        FY = _read(release, fy_key or "F_Y", fy_name, 1, 2, params, folder, what=f"{folder}F_Y")
        check_labels_equal(FY.columns, fd_matrix.columns, file=FY.file,
                           kind="column label (region/category)")  # fmt: skip
        check_labels_equal(FY.rows, F.rows, file=FY.file, kind="stressor",
                           first_line=FY.first_data_line)  # fmt: skip
        F_Y = FY.values
    stressors = [" - ".join(r) for r in F.rows]
    units_by_row = _unit_table(release, folder + params.get("unit", {}).get("name", "unit.txt"))
    if not units_by_row:
        raise ValidationError(
            f"satellite {folder.rstrip('/')!r} has no unit.txt (stressor, unit)",
            path=str(release.file(folder + "unit.txt")),
        )
    units = []
    for line, row in enumerate(F.rows, start=F.first_data_line):
        if row not in units_by_row:
            raise ValidationError(
                f"stressor {' - '.join(row)!r} has no unit in {folder}unit.txt",
                path=f_name, location=f"line {line}",
            )  # fmt: skip
        units.append(units_by_row[row])
    return Extension.build(
        folder.rstrip("/"), F.values, stressors, units, F_Y=F_Y, origin=str(F.file),
        description=f"EXIOBASE 3 {folder.rstrip('/')}",
    )  # fmt: skip


@register(
    "exiobase3",
    list_years=exiobase_years,
    description="EXIOBASE 3 (exiobase.eu) IOT_YYYY_ixi.zip / IOT_YYYY_pxp.zip or unpacked",
)
def load_exiobase3(
    path: Path,
    year: int | None = None,
    *,
    system: str | None = None,
    extensions: bool = True,
    rebalance: bool | None = None,
) -> MRIOModel:
    """One EXIOBASE 3 year; ``system`` ('ixi'/'pxp') picks between both for a year;
    ``extensions=False`` skips the satellite folders."""
    release = find_release(Path(path), year, system)
    params = _parameters(release)
    if release.has(params.get("Z", {}).get("name", "Z.txt")):
        core = _read(release, "Z", "Z.txt", 2, 2, params)
    elif release.has(params.get("A", {}).get("name", "A.txt")):
        core = _read(release, "A", "A.txt", 2, 2, params)
    else:
        raise DataNotFoundError("neither Z.txt nor A.txt", path=str(release))
    core_is_z = Path(core.file.name).stem == "Z" or core.file.name == params.get("Z", {}).get(
        "name"
    )
    countries, sectors = country_major(core.rows, file=core.file, kind="row label (region/sector)")
    check_labels_equal(core.columns, core.rows, file=core.file,
                       kind="column label (region/sector)")  # fmt: skip
    if not release.has(params.get("Y", {}).get("name", "Y.txt")):
        raise DataNotFoundError("no Y.txt (final demand)", path=str(release))
    fd = _read(release, "Y", "Y.txt", 2, 2, params)
    check_labels_equal(fd.rows, core.rows, file=fd.file, kind="row label (region/sector)",
                       first_line=fd.first_data_line)  # fmt: skip
    fd_countries, categories = country_major(
        fd.columns, file=fd.file, kind="column label (region/category)"
    )
    if fd_countries != countries:
        raise ValidationError(
            f"final-demand regions {', '.join(fd_countries)} differ from the table's "
            f"{', '.join(countries)}",
            path=str(fd.file),
        )
    Y_full = fd.values
    x = None
    if release.has(params.get("x", {}).get("name", "x.txt")):
        xm = _read(release, "x", "x.txt", 2, 1, params)
        check_labels_equal(xm.rows, core.rows, file=xm.file, kind="row label (region/sector)",
                           first_line=xm.first_data_line)  # fmt: skip
        x = xm.values[:, 0]
    notes = []
    if core_is_z:
        Z = core.values
    else:
        A = core.values
        if x is None:
            # as pymrio's calc_all: x = (I − A)⁻¹ y
            x = scipy.linalg.solve(np.eye(A.shape[0]) - A, Y_full.sum(axis=1))
            notes.append("x = (I − A)⁻¹ y and Z = A x̂ (the release has A and Y, no Z or x)")
        Z = A * x[None, :]
    units = sorted(set(_unit_table(release, params.get("unit", {}).get("name", "unit.txt"))
                       .values()))  # fmt: skip
    file_year = release.year if release.year is not None else year
    fd_codes = [FD_CODES.get(c.lower(), c) for c in categories]
    if len(set(fd_codes)) != len(fd_codes):
        fd_codes = list(categories)
    model = MRIOModel.from_arrays(
        Z,
        Y_full,
        countries=[to_iso3(c, source="exiobase") for c in countries],
        sectors=sectors,
        fd_categories=fd_codes,
        fd_category_names=categories,
        x=x,
        rebalance=False if rebalance is None else rebalance,
        source_countries=countries,
        year=file_year,
        source="exiobase3",
        units=(", ".join(units) if units else "M.EUR") + ", current prices",
        inventory_category="INVNT" if "INVNT" in fd_codes else None,
        origin=str(core.file),
    )
    if notes:
        from dataclasses import replace

        model = replace(model, validation=replace(model.validation,
                        notes=(*notes, *model.validation.notes)))  # fmt: skip
    if not extensions:
        return model
    folders = sorted({m.rsplit("/", 1)[0] + "/" for m in release.members
                      if "/" in m and Path(m).name == "F.txt"})  # fmt: skip
    exts = [_extension(release, folder, core, fd) for folder in folders]
    return model.with_extensions(exts)
