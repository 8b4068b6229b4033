"""``--source auto``: recognise a table's format from the file or folder itself.

Recognition looks at names first (each publisher names its files distinctively), then at
content where names are not enough: zip members, a CSV's header row, pymrio's
``file_parameters.json``. A folder holding files of one format is that format; one holding
several is an error listing them (chainatlas will not guess which you meant). Anything
unrecognised gets one error naming what was expected and what was found.
"""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

from chainatlas.core.model import MRIOModel
from chainatlas.errors import ChainAtlasError, DataNotFoundError
from chainatlas.sources.registry import get_source, register

# (source, pattern on the file or folder name, what the user should recognise)
NAME_RULES: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("wiod2013", re.compile(r"^wiot_\d{4}\.rdata$", re.I), "wiot_YYYY.RData"),
    ("wiod2013-excel", re.compile(r"^wiot\d{2}_row_[a-z]{3}\d{2}\.xlsx$", re.I),
     "WIOT{YY}_ROW_Apr12.xlsx"),
    ("wiod2016", re.compile(r"^wiot\d{4}_nov16_row\.xls[bx]$", re.I), "WIOT{YYYY}_Nov16_ROW.xlsb"),
    ("adb", re.compile(r"^adb[-_ ]?mrio(\d{2})?[-_ ]+\d{4}(?!\d).*\.xlsx$", re.I),
     "ADB-MRIO[62|72]-YYYY_*.xlsx"),
    ("oecd-icio", re.compile(r"^icio\d{4}(econ|ext)?_\d{4}(-\d{4})?\.(csv|zip)$", re.I),
     "ICIO20xx_YYYY.csv / .zip"),
    ("exiobase3", re.compile(r"^iot_\d{4}_(ixi|pxp)(\.zip)?$", re.I), "IOT_YYYY_ixi.zip"),
    ("eora26", re.compile(r"^eora26_\d{4}_(bp|pp)(_(t|fd|va|q|qy))?\.(txt|zip)$", re.I),
     "Eora26_YYYY_bp.zip / Eora26_YYYY_bp_T.txt"),
    ("gloria", re.compile(r"^gloria_(mrios_\d+_\d{4}(\.zip)?|readme_\d+\w*\.xlsx)$", re.I),
     "GLORIA_MRIOs_59_YYYY.zip + GLORIA_ReadMe_059.xlsx"),
    ("figaro", re.compile(r"^(matrix_eu-ic-io_ind-by-ind|flatfile_eu-ic-io_ind-by-ind)"
                          r"_\d{2}(ed)?_\d{4}\.csv$", re.I),
     "matrix_eu-ic-io_ind-by-ind_YYed_YYYY.csv"),
    ("generic", re.compile(r"^(z|long)\.(csv|parquet)$|^meta\.toml$", re.I),
     "Z.csv / Z.parquet / long.csv (generic)"),
)  # fmt: skip
OLD_EXIOBASE = re.compile(r"^mriot.*\.txt$|^mrIOT_.*version2.*\.zip$", re.I)
FIGARO_COLUMNS = {"refarea", "rowpi", "counterpartarea", "colpi", "obsvalue"}
GENERIC_LONG = {"row_country", "row_sector", "col_country", "col_code", "value"}


def _expected() -> str:
    return "; ".join(f"{src}: {what}" for src, _, what in NAME_RULES) + (
        "; pymrio: a save_all folder with file_parameters.json"
    )


def _by_name(name: str) -> str | None:
    for source, pattern, _ in NAME_RULES:
        if pattern.match(name):
            return source
    if OLD_EXIOBASE.match(name):
        return "exiobase12"
    return None


def _csv_header(path: Path) -> list[str]:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            line = handle.readline()
    except OSError:
        return []
    sep = "\t" if line.count("\t") > line.count(",") else ","
    return [c.strip().strip('"').lower() for c in line.rstrip("\r\n").split(sep)]


def _by_content(path: Path) -> str | None:
    suffix = path.suffix.lower()
    if suffix == ".zip":
        try:
            with zipfile.ZipFile(path) as archive:
                names = [Path(n).name for n in archive.namelist()]
        except (zipfile.BadZipFile, OSError):
            return None
        if any(n in ("A.txt", "Z.txt") for n in names):
            return "exiobase3"
        if any(OLD_EXIOBASE.match(n) for n in names):
            return "exiobase12"
        for name in names:
            source = _by_name(name)
            if source and source != "generic":
                return source
        if any("_T-Results_" in n for n in names):
            return "gloria"
        return None
    if suffix in (".csv", ".txt"):
        header = _csv_header(path)
        if not header:
            return None
        if set(header) >= FIGARO_COLUMNS or (header and header[0] == "rowlabels"):
            return "figaro"
        if set(header) >= GENERIC_LONG:
            return "generic"
        if len(header) > 2 and re.match(r"^[a-z0-9]{3}_", header[1] if header[0] in
                                        ("", "v1") else header[0]):  # fmt: skip
            return "oecd-icio"
    if suffix == ".parquet":
        return "generic"
    return None


def _folder(path: Path) -> set[str]:
    params = path / "file_parameters.json"
    if params.is_file():
        try:
            kind = json.loads(params.read_text(encoding="utf-8")).get("systemtype")
        except (json.JSONDecodeError, UnicodeDecodeError):
            kind = None
        if kind == "IOSystem":
            meta = path / "metadata.json"
            hint = meta.read_text(encoding="utf-8", errors="replace") if meta.is_file() else ""
            if "exio" in hint.lower() or _by_name(path.name) == "exiobase3":
                return {"exiobase3"}
            return {"pymrio"}
    found: set[str] = set()
    for child in sorted(path.iterdir()):
        if child.name.startswith((".", "~$")):
            continue
        source = _by_name(child.name)
        if source is None and child.is_file():
            source = _by_content(child)
        if source is None and child.is_dir() and re.fullmatch(r"\d{4}", child.name):
            found |= _folder(child)
            continue
        if source is None and child.name.lower() in ("labels_t.txt", "indices.zip"):
            source = "eora26"
        if source is not None:
            found.add(source)
    # a generic folder may also hold a meta.toml; EXIOBASE/Eora/GLORIA folders never do
    if len(found) > 1 and "generic" in found and not (path / "Z.csv").exists():
        found.discard("generic")
    return found


def detect_source(path: str | Path) -> str:
    """The source name of the table at ``path``; ChainAtlasError when unrecognised."""
    path = Path(path).expanduser()
    if not path.exists():
        raise DataNotFoundError("no such file or directory", path=str(path))
    if path.is_file():
        found = {s for s in (_by_name(path.name) or _by_content(path),) if s}
        if found == {"gloria"} or (not found and path.name.endswith(").csv")):
            found = {"gloria"}
        shown = path.name
    else:
        found = _folder(path)
        names = sorted(p.name for p in path.iterdir() if not p.name.startswith("."))
        shown = ", ".join(names[:8]) + (", …" if len(names) > 8 else "") or "an empty folder"
    if "exiobase12" in found:
        raise ChainAtlasError(
            "this is EXIOBASE 1 or 2 (mrIot*.txt coefficient files), which chainatlas does not "
            "read; use EXIOBASE 3 (IOT_YYYY_ixi.zip, --source exiobase3)",
            path=str(path),
        )
    if len(found) == 1:
        return found.pop()
    if found:
        raise ChainAtlasError(
            f"files of several formats here ({', '.join(sorted(found))}); pass --source NAME "
            "or point --path at one of them",
            path=str(path),
        )
    raise ChainAtlasError(
        f"cannot tell the table format: found {shown}; expected one of — {_expected()}",
        path=str(path),
    )


def _auto_years(path: Path) -> list[int]:
    return get_source(detect_source(path)).list_years(Path(path))


@register(
    "auto",
    list_years=_auto_years,
    description="recognise the format from the file or folder (any source above)",
)
def load_auto(path: Path, year: int | None = None, **options) -> MRIOModel:
    """Detect the format, then load with that source's loader and options."""
    from chainatlas.sources import _check_options

    source = get_source(detect_source(path))
    _check_options(source.name, source.loader, options)
    return source.loader(Path(path), year, **options)
