"""HS vintages, UNSD HS conversion tables and the UNSD HS -> BEC Rev.4 end-use classification.

The files are read in place from the user's concordance directory (never copied):

* ``unsd_hs_conversion/HS{from}toHS{to}ConversionAndCorrelationTables.xlsx``: a "Conversion(s)"
  sheet (one newer code -> one older code; header in the first row) and a "Correlation(s)"
  sheet (1:1 / n:1 / 1:n / n:n links; the first row says "Between", the real header is the
  first data row).
* ``unsd_hs_bec/HS{year} to BEC Conversion and Correlation Tables.csv``: HS6 -> BEC Rev.4
  (columns HS code, BEC code, Relationship). An HS line listed with several BEC codes is a
  *split line*; its end use is the majority end use of its BEC codes (ties -> "mixed").

The directory is ``--concordances DIR``, else ``$CHAINATLAS_CONCORDANCES``, else
``$CHAINATLAS_DATA/concordances``, else ``<cache>/concordances`` (see :func:`resolve_dir`).
"""

from __future__ import annotations

import csv
import hashlib
import os
import re
from collections import Counter, defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pandas as pd

from chainatlas.errors import ChainAtlasError, DataNotFoundError, ValidationError
from chainatlas.sources.paths import cache_dir

# HS vintages by the year of the nomenclature; BACI names them HS92, HS96, ... HS22.
VINTAGE_YEARS = {
    "HS92": 1992,
    "HS96": 1996,
    "HS02": 2002,
    "HS07": 2007,
    "HS12": 2012,
    "HS17": 2017,
    "HS22": 2022,
}
_YEAR_TO_VINTAGE = {year: v for v, year in VINTAGE_YEARS.items()}
_COMTRADE_VINTAGE = {
    "H0": "HS92",
    "H1": "HS96",
    "H2": "HS02",
    "H3": "HS07",
    "H4": "HS12",
    "H5": "HS17",
    "H6": "HS22",
}

# BEC Rev.4 -> SNA basic end-use classes (UNSD; METHODS §10.1, MANIFEST §4).
INTERMEDIATE_BEC = frozenset({"111", "121", "21", "22", "31", "322", "42", "53"})
CAPITAL_BEC = frozenset({"41", "521"})
CONSUMPTION_BEC = frozenset({"112", "122", "522", "61", "62", "63"})
# 321 motor spirit and 51 passenger cars are not allocated by UNSD; "32" (processed fuels,
# used by UNSD for HS 2710 lines) is the aggregate of 321 (mixed) and 322 (intermediate).
MIXED_BEC = frozenset({"321", "51", "32"})
NES_BEC = frozenset({"7"})
END_USES = ("intermediate", "consumption", "capital", "mixed", "nes", "unclassified")


def normalise_vintage(name: str) -> str:
    """'HS92', 'hs1992', 'H0', 'HS 2017', '2012' -> canonical 'HS92' … 'HS22'."""
    text = str(name).strip().upper().replace(" ", "")
    if text in VINTAGE_YEARS:
        return text
    if text in _COMTRADE_VINTAGE:
        return _COMTRADE_VINTAGE[text]
    match = re.fullmatch(r"(?:HS)?(\d{2}|\d{4})", text)
    if match:
        digits = match.group(1)
        year = (
            int(digits)
            if len(digits) == 4
            else (1900 + int(digits) if int(digits) > 50 else 2000 + int(digits))
        )
        if year in _YEAR_TO_VINTAGE:
            return _YEAR_TO_VINTAGE[year]
    raise ChainAtlasError(
        f"unknown HS vintage {name!r}; use one of {', '.join(VINTAGE_YEARS)} (or H0…H6)"
    )


def end_use_of_bec(code: str) -> str:
    """End-use class of one BEC Rev.4 basic code."""
    if code in INTERMEDIATE_BEC:
        return "intermediate"
    if code in CAPITAL_BEC:
        return "capital"
    if code in CONSUMPTION_BEC:
        return "consumption"
    if code in MIXED_BEC:
        return "mixed"
    if code in NES_BEC:
        return "nes"
    return "unclassified"


def resolve_dir(path: str | os.PathLike[str] | None = None) -> Path:
    """The concordance directory (see module docstring for the lookup order)."""
    candidates: list[Path] = []
    if path is not None:
        candidates = [Path(path).expanduser()]
    else:
        if os.environ.get("CHAINATLAS_CONCORDANCES"):
            candidates.append(Path(os.environ["CHAINATLAS_CONCORDANCES"]).expanduser())
        if os.environ.get("CHAINATLAS_DATA"):
            candidates.append(Path(os.environ["CHAINATLAS_DATA"]).expanduser() / "concordances")
        candidates.append(cache_dir() / "concordances")
    for candidate in candidates:
        if (candidate / "unsd_hs_bec").is_dir() or (candidate / "unsd_hs_conversion").is_dir():
            return candidate
    raise DataNotFoundError(
        "no HS concordance directory (needs unsd_hs_bec/ and unsd_hs_conversion/): pass "
        "--concordances DIR or set CHAINATLAS_CONCORDANCES (looked in "
        + ", ".join(str(c) for c in candidates)
        + ")"
    )


def _clean_code(raw: object, *, path: Path, line: int, column: str) -> str:
    text = "" if raw is None else str(raw).strip()
    if text.endswith(".0"):
        text = text[:-2]
    if not text.isdigit() or len(text) > 6:
        raise ValidationError(
            f"HS code {raw!r} is not a 6-digit number",
            path=str(path),
            location=f"line {line}, column {column!r}",
        )
    return text.zfill(6)


@dataclass(frozen=True)
class BecTable:
    vintage: str
    path: Path
    links: dict[str, tuple[str, ...]]  # hs6 -> BEC codes (file order)
    relationship: dict[str, str]


def read_bec_table(path: Path) -> BecTable:
    """Read one UNSD HS -> BEC Rev.4 CSV (UTF-8, optional BOM)."""
    match = re.match(r"HS\s*(\d{4})", path.name)
    if not match:
        raise ValidationError("cannot tell the HS vintage from the file name", path=str(path))
    vintage = normalise_vintage(match.group(1))
    links: dict[str, list[str]] = defaultdict(list)
    relationship: dict[str, str] = {}
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None or len(header) < 2:
                raise ValidationError(
                    "expected columns HS code, BEC code, Relationship",
                    path=str(path),
                    location="line 1",
                )
            for line, row in enumerate(reader, start=2):
                if not row or not any(cell.strip() for cell in row):
                    continue
                hs6 = _clean_code(row[0], path=path, line=line, column=header[0])
                bec = row[1].strip()
                if bec.lower() in ("n/a", "na"):  # monetary gold, coin: outside BEC goods
                    bec = "n/a"
                elif not bec.isdigit():
                    raise ValidationError(
                        f"BEC code {bec!r} is not numeric",
                        path=str(path),
                        location=f"line {line}, column {header[1]!r}",
                    )
                if bec not in links[hs6]:
                    links[hs6].append(bec)
                relationship[hs6] = row[2].strip() if len(row) > 2 else ""
    except UnicodeDecodeError as exc:
        raise ValidationError(
            f"not UTF-8 text ({exc.reason} at byte {exc.start})", path=str(path)
        ) from None
    return BecTable(vintage, path, {k: tuple(v) for k, v in links.items()}, relationship)


@dataclass(frozen=True)
class ConversionTable:
    """One UNSD conversion: each ``from`` (newer) code maps to exactly one ``to`` (older) code."""

    from_vintage: str
    to_vintage: str
    path: Path
    mapping: dict[str, str]
    correlation: dict[tuple[str, str], str] = field(default_factory=dict)


def _sheet(workbook, word: str, path: Path):
    for name in workbook.sheetnames:
        if word.lower() in name.lower():
            return workbook[name]
    raise ValidationError(
        f"no sheet named like {word!r} (sheets: {workbook.sheetnames})", path=str(path)
    )


def read_conversion_table(path: Path) -> ConversionTable:
    """Read a UNSD ``HS{a}toHS{b}ConversionAndCorrelationTables.xlsx`` workbook."""
    import openpyxl

    match = re.match(r"HS\s*(\d{4})\s*to\s*HS\s*(\d{4})", path.name, flags=re.IGNORECASE)
    if not match:
        raise ValidationError("cannot tell the HS vintages from the file name", path=str(path))
    source, target = normalise_vintage(match.group(1)), normalise_vintage(match.group(2))
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # corrupt or not an xlsx file
        raise ValidationError(f"cannot open workbook ({exc})", path=str(path)) from None
    try:
        conversion = _sheet(workbook, "Conversion", path)
        rows = conversion.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None or len([h for h in header if h]) < 2:
            raise ValidationError(
                "conversion sheet has no header row",
                path=str(path),
                location=f"sheet {conversion.title!r}, row 1",
            )
        mapping: dict[str, str] = {}
        for line, row in enumerate(rows, start=2):
            cells = [c for c in row if c is not None and str(c).strip()]
            if not cells:
                continue
            where = f"sheet {conversion.title!r}, row {line}"
            if len(cells) < 2:
                raise ValidationError(
                    "expected a from-code and a to-code", path=str(path), location=where
                )
            code_from = _clean_code(cells[0], path=path, line=line, column=str(header[0]))
            code_to = _clean_code(cells[1], path=path, line=line, column=str(header[1]))
            previous = mapping.setdefault(code_from, code_to)
            if previous != code_to:
                raise ValidationError(
                    f"code {code_from} converts to both {previous} and {code_to}",
                    path=str(path),
                    location=where,
                )
        correlation: dict[tuple[str, str], str] = {}
        corr_sheet = _sheet(workbook, "Correlation", path)
        corr_rows = corr_sheet.iter_rows(values_only=True)
        next(corr_rows, None)  # "Between" banner; the real header is the first data row
        corr_header = next(corr_rows, None)
        if corr_header is None:
            raise ValidationError(
                "correlation sheet has no header row",
                path=str(path),
                location=f"sheet {corr_sheet.title!r}, row 2",
            )
        # Column positions from the header: two "HS …" columns and "Relationship"; other
        # columns (e.g. an "ex" partial-code marker) are ignored.
        labels = [str(h).strip().upper() if h is not None else "" for h in corr_header]
        hs_cols = [i for i, h in enumerate(labels) if h.startswith("HS")]
        rel_cols = [i for i, h in enumerate(labels) if h.startswith("RELATION")]
        if len(hs_cols) < 2 or not rel_cols:
            raise ValidationError(
                f"correlation header {corr_header} lacks two HS columns and Relationship",
                path=str(path),
                location=f"sheet {corr_sheet.title!r}, row 2",
            )
        for line, row in enumerate(corr_rows, start=3):
            if len(row) <= max(hs_cols[1], rel_cols[0]) or row[hs_cols[0]] is None:
                continue
            a = _clean_code(row[hs_cols[0]], path=path, line=line, column=labels[hs_cols[0]])
            b = _clean_code(row[hs_cols[1]], path=path, line=line, column=labels[hs_cols[1]])
            correlation[(a, b)] = str(row[rel_cols[0]] or "").strip()
    finally:
        workbook.close()
    return ConversionTable(source, target, path, mapping, correlation)


@dataclass(frozen=True)
class Concordances:
    """All BEC and conversion tables found in one directory."""

    root: Path
    bec: dict[str, BecTable]
    conversions: tuple[ConversionTable, ...]

    @property
    def version(self) -> str:
        """Short content hash of the files used, recorded with every loaded vintage."""
        digest = hashlib.sha256()
        for path in sorted(
            [t.path for t in self.bec.values()] + [c.path for c in self.conversions]
        ):
            digest.update(path.name.encode())
            digest.update(str(path.stat().st_size).encode())
        return "unsd-" + digest.hexdigest()[:12]

    def files(self) -> list[str]:
        return sorted(str(t.path) for t in self.bec.values()) + sorted(
            str(c.path) for c in self.conversions
        )

    # --- vintage graph ---------------------------------------------------------------------
    def _edges(self) -> dict[str, list[tuple[str, ConversionTable, bool]]]:
        edges: dict[str, list[tuple[str, ConversionTable, bool]]] = defaultdict(list)
        for table in self.conversions:
            edges[table.from_vintage].append((table.to_vintage, table, True))
            edges[table.to_vintage].append((table.from_vintage, table, False))
        return edges

    def path_between(self, source: str, target: str) -> list[tuple[ConversionTable, bool]]:
        """Shortest chain of tables from ``source`` to ``target`` (forward flag per step)."""
        source, target = normalise_vintage(source), normalise_vintage(target)
        if source == target:
            return []
        edges = self._edges()
        queue: deque[str] = deque([source])
        parent: dict[str, tuple[str, ConversionTable, bool]] = {}
        seen = {source}
        while queue:
            node = queue.popleft()
            for nxt, table, forward in edges.get(node, []):
                if nxt not in seen:
                    seen.add(nxt)
                    parent[nxt] = (node, table, forward)
                    queue.append(nxt)
        if target not in seen:
            tables = ", ".join(f"{c.from_vintage}->{c.to_vintage}" for c in self.conversions)
            raise ChainAtlasError(
                f"no UNSD conversion path from {source} to {target} in {self.root} "
                f"(tables: {tables})"
            )
        steps: list[tuple[ConversionTable, bool]] = []
        node = target
        while node != source:
            prev, table, forward = parent[node]
            steps.append((table, forward))
            node = prev
        return steps[::-1]

    def conversion_weights(self, source: str, target: str) -> pd.DataFrame:
        """Columns from_code, to_code, weight: value of ``from_code`` sent to ``to_code``.

        Newer -> older (the UNSD direction) aggregates (weight 1). Older -> newer splits a
        code's value equally over the newer codes that convert into it, so totals are kept;
        ``exact`` is False for such splits.
        """
        steps = self.path_between(source, target)
        if not steps:
            codes = sorted(self.codes(source))
            return pd.DataFrame(
                {"from_code": codes, "to_code": codes, "weight": 1.0, "exact": True}
            )
        frame: pd.DataFrame | None = None
        for table, forward in steps:
            pairs = pd.DataFrame(list(table.mapping.items()), columns=["newer", "older"])
            if forward:
                step = pairs.rename(columns={"newer": "from_code", "older": "to_code"})
                step["weight"] = 1.0
                step["exact"] = True
            else:
                step = pairs.rename(columns={"older": "from_code", "newer": "to_code"})
                counts = step.groupby("from_code")["to_code"].transform("size")
                step["weight"] = 1.0 / counts
                step["exact"] = counts == 1
            # Codes the Conversions sheet never reaches (only in n:n correlation links) are
            # split equally over their correlated codes, so no value is lost.
            corr = pd.DataFrame(list(table.correlation), columns=["newer", "older"])
            if forward:
                corr = corr.rename(columns={"newer": "from_code", "older": "to_code"})
            else:
                corr = corr.rename(columns={"older": "from_code", "newer": "to_code"})
            extra = corr[~corr["from_code"].isin(step["from_code"])].drop_duplicates()
            if len(extra):
                counts = extra.groupby("from_code")["to_code"].transform("size")
                extra = extra.assign(weight=1.0 / counts, exact=False)
                step = pd.concat([step, extra], ignore_index=True)
            if frame is None:
                frame = step
            else:
                merged = frame.merge(
                    step, left_on="to_code", right_on="from_code", suffixes=("", "_next")
                )
                frame = pd.DataFrame(
                    {
                        "from_code": merged["from_code"],
                        "to_code": merged["to_code_next"],
                        "weight": merged["weight"] * merged["weight_next"],
                        "exact": merged["exact"] & merged["exact_next"],
                    }
                )
                frame = frame.groupby(["from_code", "to_code"], as_index=False).agg(
                    weight=("weight", "sum"), exact=("exact", "all")
                )
        assert frame is not None
        return frame.reset_index(drop=True)

    # --- code lists and classification -----------------------------------------------------
    def codes(self, vintage: str) -> set[str]:
        """Every HS6 code of ``vintage`` that the tables mention."""
        vintage = normalise_vintage(vintage)
        found: set[str] = set()
        if vintage in self.bec:
            found.update(self.bec[vintage].links)
        for table in self.conversions:
            if table.from_vintage == vintage:
                found.update(table.mapping)
                found.update(a for a, _ in table.correlation)
            if table.to_vintage == vintage:
                found.update(table.mapping.values())
                found.update(b for _, b in table.correlation)
        return found

    def classify(self, vintage: str, split: str = "majority") -> pd.DataFrame:
        """HS6 lines of ``vintage`` with BEC codes and end use.

        Columns: hs6, hs4, hs2, bec (';'-joined), end_use, split_line (several end uses),
        bec_source (the table used). ``split``: "majority" (ties -> "mixed") or
        "any_intermediate" (intermediate if any of the line's BEC codes is intermediate).
        Vintages without their own BEC table borrow the codes of every linked code of the
        nearest vintage that has one (through the conversion tables).
        """
        if split not in ("majority", "any_intermediate"):
            raise ChainAtlasError(f"unknown split policy {split!r}: majority or any_intermediate")
        vintage = normalise_vintage(vintage)
        codes = self.codes(vintage)
        if not codes:
            raise ChainAtlasError(f"the concordance tables in {self.root} know no {vintage} codes")
        links: dict[str, list[str]] = {}
        sources: dict[str, str] = {}
        if vintage in self.bec:
            table = self.bec[vintage]
            for code, becs in table.links.items():
                links[code] = list(becs)
                sources[code] = table.path.name
        missing = codes - set(links)
        if missing:
            # Borrow through the conversion graph, nearest BEC vintage first.
            def distance(other: str) -> tuple[int, int, int]:
                try:
                    steps = len(self.path_between(other, vintage))
                except ChainAtlasError:
                    steps = 99
                gap = abs(VINTAGE_YEARS[other] - VINTAGE_YEARS[vintage])
                return (steps, gap, -VINTAGE_YEARS[other])

            ranked = sorted((v for v in self.bec if v != vintage), key=distance)
            for other in ranked:
                if not missing:
                    break
                try:
                    weights = self.conversion_weights(other, vintage)
                except ChainAtlasError:
                    continue
                bec_other = self.bec[other].links
                borrowed: dict[str, list[str]] = defaultdict(list)
                for src, dst in zip(weights["from_code"], weights["to_code"], strict=True):
                    if dst in missing and src in bec_other:
                        borrowed[dst].extend(bec_other[src])
                for code, becs in borrowed.items():
                    links[code] = becs
                    sources[code] = f"via {other}: {self.bec[other].path.name}"
                missing -= set(borrowed)
        if missing:
            # Codes that only appear in n:n correlation links (no conversion row of their own).
            borrowed = defaultdict(list)
            for table in self.conversions:
                if vintage not in (table.from_vintage, table.to_vintage):
                    continue
                other = table.to_vintage if table.from_vintage == vintage else table.from_vintage
                if other not in self.bec:
                    continue
                bec_other = self.bec[other].links
                for a, b in table.correlation:
                    mine, theirs = (a, b) if table.from_vintage == vintage else (b, a)
                    if mine in missing and theirs in bec_other:
                        borrowed[mine].extend(bec_other[theirs])
                        sources[mine] = f"via {other} correlation: {table.path.name}"
            for code, becs in borrowed.items():
                links[code] = becs
            missing -= set(borrowed)
        rows = []
        for code in sorted(codes):
            becs = links.get(code, [])
            uses = [end_use_of_bec(b) for b in becs]
            distinct = sorted(set(uses))
            if not uses:
                end_use = "unclassified"
            elif len(distinct) == 1:
                end_use = distinct[0]
            elif split == "any_intermediate" and "intermediate" in distinct:
                end_use = "intermediate"
            else:
                counts = Counter(uses).most_common()
                end_use = counts[0][0] if counts[0][1] > counts[1][1] else "mixed"
            rows.append(
                (
                    code,
                    code[:4],
                    code[:2],
                    ";".join(dict.fromkeys(becs)),
                    end_use,
                    len(distinct) > 1,
                    sources.get(code, ""),
                )
            )
        return pd.DataFrame(
            rows, columns=["hs6", "hs4", "hs2", "bec", "end_use", "split_line", "bec_source"]
        )


@lru_cache(maxsize=4)
def _load_cached(root: str, signature: tuple) -> Concordances:
    base = Path(root)
    bec: dict[str, BecTable] = {}
    for path in sorted((base / "unsd_hs_bec").glob("*.csv")):
        table = read_bec_table(path)
        bec[table.vintage] = table
    conversions = tuple(
        read_conversion_table(path) for path in sorted((base / "unsd_hs_conversion").glob("*.xlsx"))
    )
    if not bec and not conversions:
        raise DataNotFoundError("no UNSD HS->BEC csv or HS conversion xlsx files", path=root)
    return Concordances(base, bec, conversions)


def load_concordances(path: str | os.PathLike[str] | None = None) -> Concordances:
    """Read (and cache per directory content) the UNSD tables under ``path``."""
    root = resolve_dir(path)
    files: Iterable[Path] = list((root / "unsd_hs_bec").glob("*.csv")) + list(
        (root / "unsd_hs_conversion").glob("*.xlsx")
    )
    signature = tuple(sorted((p.name, p.stat().st_size, p.stat().st_mtime) for p in files))
    return _load_cached(str(root.resolve()), signature)


__all__ = [
    "END_USES",
    "VINTAGE_YEARS",
    "Concordances",
    "ConversionTable",
    "end_use_of_bec",
    "load_concordances",
    "normalise_vintage",
    "resolve_dir",
]
