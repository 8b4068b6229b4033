"""Product-to-sector bridge: HS6 -> ISIC -> an MRIO table's sectors, weighted by trade.

Turns an HS-level list (a tariff list, an export ban, a product shock) into sector
coefficients computed from data: the share of each exporter -> importer sector flow that the
listed products carry in the trade store.

Concordances (read in place from the concordance directory, never copied):

* HS 2017 six-digit -> ISIC Rev.3 and ISIC Rev.4 (4-digit classes; 39 lines at 2-3 digits):
  the UNSD HS 2017 -> BEC5 correspondence with its ISIC columns, as shipped by the ADB MRIO
  team's R package (``adb_mrio_team/ksreyes_mrio_sysdata.rda``, table ``hsbec``, columns
  ``HS6``, ``i3``, ``i4``). One ISIC class per HS6 line.
* ISIC Rev.3 -> WIOD 2013 c1..c35: ``wiod2013/concordance_isic3_to_wiod2013.RData``
  (insongkim/concordance), 4-digit classes with a fallback to 3- and 2-digit groups where a
  code is shorter or missing.
* ISIC Rev.3 -> ADB MRIO c1..c35: the same package's ``isicmrio`` table (the ADB 35 sectors
  follow the WIOD 2013 sector list).
* ISIC Rev.4 -> OECD ICIO (45 sectors, 2018/2021 releases): read off the sector codes
  themselves (``D10T12`` / ``C10T12`` / ``A01_02``: divisions 10 to 12), so no table is needed;
  services have no HS lines.
* EXIOBASE (CPA/NACE-based 163 products) has no HS or ISIC concordance in the shared data:
  not available.

HS vintages other than HS 2017 are converted with the UNSD HS conversion tables
(:meth:`chainatlas.trade.concordances.Concordances.conversion_weights`; value split by
the tables' weights), so BACI HS92 flows map to sectors too. Flows of HS lines without a
sector (none for goods in HS 2017) are reported, not dropped silently.
"""

from __future__ import annotations

import re
import time
import warnings
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from chainatlas.errors import ChainAtlasError, DataNotFoundError

SECTOR_SYSTEMS = ("wiod2013", "adb", "icio")
HS_ISIC_FILE = Path("adb_mrio_team") / "ksreyes_mrio_sysdata.rda"
WIOD_CONCORDANCE = "concordance_isic3_to_wiod2013.RData"
BRIDGE_VINTAGE = "HS17"  # the vintage of the HS -> ISIC table


def _read_rda(path: Path) -> dict:
    """The data frames of an R data file by name, as pandas DataFrames (strings with NA).

    chainatlas' own XDR reader (sources/wiod_r.read_rdata) first: the ADB team's sysdata
    file holds about a million strings, which it reads in about a second where rdata takes
    half a minute; rdata for R objects that reader does not know. Both give the same frames
    (tested).
    """
    if not path.is_file():
        raise DataNotFoundError("concordance file not found", path=str(path))
    from chainatlas.sources.wiod_r import Unsupported, read_rdata

    try:
        objects = read_rdata(path)
    except Unsupported:
        return _read_rda_with_rdata(path)
    except Exception as exc:  # a damaged file: one line naming it
        raise ChainAtlasError(f"cannot read R data file ({exc})", path=str(path)) from None
    return {name: _frame_of(value) for name, value in objects.items()}


def _frame_of(value: object) -> object:
    if not isinstance(value, dict):
        return value
    # character columns as pandas strings with NA, as rdata gives them
    columns = {
        name: pd.array(column, dtype="string") if isinstance(column, list) else column
        for name, column in value.items()
    }
    return pd.DataFrame(columns)


def _read_rda_with_rdata(path: Path) -> dict:
    import rdata

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return rdata.read_rda(str(path))
    except Exception as exc:  # rdata raises many types on corrupt files
        raise ChainAtlasError(f"cannot read R data file ({exc})", path=str(path)) from None


def _sysdata_table(concordance_dir: str, name: str, columns: list[str]) -> pd.DataFrame:
    """Columns of one table of the ADB team's R data file, as strings."""
    path = Path(concordance_dir) / HS_ISIC_FILE
    table = _read_rda(path).get(name)
    if table is None or not set(columns) <= set(table.columns):
        raise ChainAtlasError(f"no {name} table with {', '.join(columns)} columns", path=str(path))
    return pd.DataFrame({c: table[c].astype(str) for c in columns})


_SYSDATA_TABLES = {"hsbec": ["HS6", "i3", "i4"], "isicmrio": ["ISIC", "MRIO"]}


@lru_cache(maxsize=4)
def hs_to_isic(concordance_dir: str) -> pd.DataFrame:
    """HS 2017 six-digit -> ISIC Rev.3 and Rev.4 codes: columns hs6, isic3, isic4."""
    table = _sysdata_table(concordance_dir, "hsbec", _SYSDATA_TABLES["hsbec"])
    out = pd.DataFrame(
        {
            "hs6": table["HS6"].astype(str).str.zfill(6),
            "isic3": table["i3"].astype(str),
            "isic4": table["i4"].astype(str),
        }
    ).drop_duplicates("hs6")
    return out.reset_index(drop=True)


def _prefix_lookup(codes: pd.Series, pairs: dict[str, str]) -> pd.Series:
    """Sector of each ISIC code: the code itself, else its 3- and 2-digit prefix."""

    def find(code: str) -> str | None:
        for length in (len(code), 3, 2):
            hit = pairs.get(code[:length])
            if hit is not None:
                return hit
        return None

    return codes.map(find)


def _unique_prefix_pairs(frame: pd.DataFrame, columns: list[str], sector: str) -> dict:
    """code -> sector for every level where the code names exactly one sector."""
    pairs: dict[str, str] = {}
    for column in columns:
        grouped = frame.groupby(column)[sector].agg(lambda s: sorted(set(s)))
        for code, sectors in grouped.items():
            if len(sectors) == 1 and str(code) not in pairs:
                pairs[str(code)] = sectors[0]
    return pairs


def isic_sector_map(
    system: str,
    *,
    concordance_dir: str | Path,
    wiod_dir: str | Path | None = None,
    sectors: list[str] | None = None,
) -> pd.DataFrame:
    """hs6 (HS 2017) -> sector of ``system``: columns hs6, isic, sector."""
    hs = hs_to_isic(str(concordance_dir))
    if system == "wiod2013":
        if wiod_dir is None:
            raise ChainAtlasError("the WIOD bridge needs the WIOD 2013 data directory (wiod_dir)")
        table = _read_rda(Path(wiod_dir) / WIOD_CONCORDANCE)["wiod_2013"]
        table = table[table["WIOT2013_n"].notna()]  # ISIC classes WIOD leaves unassigned
        table = table.assign(
            sector="c" + table["WIOT2013_n"].astype(int).astype(str),
            ISIC3_4d=table["ISIC3_4d"].astype(str),
            ISIC3_3d=table["ISIC3_3d"].astype(str),
            ISIC3_2d=table["ISIC3_2d"].astype(str),
        )
        pairs = _unique_prefix_pairs(table, ["ISIC3_4d", "ISIC3_3d", "ISIC3_2d"], "sector")
        isic = hs["isic3"]
    elif system == "adb":
        table = _sysdata_table(str(concordance_dir), "isicmrio", _SYSDATA_TABLES["isicmrio"])
        pairs = dict(zip(table["ISIC"].astype(str), table["MRIO"].astype(str), strict=True))
        isic = hs["isic3"]
    elif system == "icio":
        if not sectors:
            raise ChainAtlasError("the ICIO bridge needs the table's sector codes")
        pairs = {}
        for code in sectors:
            match = re.search(r"(\d\d)(?:[T_](\d\d))?$", code)
            if not match:
                continue
            first = int(match.group(1))
            last = int(match.group(2) or first)
            for division in range(first, last + 1):
                pairs.setdefault(f"{division:02d}", code)
        isic = hs["isic4"].str[:2]
    else:
        raise ChainAtlasError(
            f"no HS -> sector bridge for {system!r}; available: {', '.join(SECTOR_SYSTEMS)} "
            "(EXIOBASE: no HS/ISIC concordance in the shared data)"
        )
    return pd.DataFrame({"hs6": hs["hs6"], "isic": isic, "sector": _prefix_lookup(isic, pairs)})


def normalise_hs_codes(codes: list[str]) -> list[str]:
    """HS codes as published -> digit prefixes: dots/spaces removed, HS8/HS10 truncated to
    HS6; 2- and 4-digit codes stay prefixes (every HS6 line beneath them)."""
    out = []
    for raw in codes:
        digits = re.sub(r"[\s.]", "", str(raw))
        if not digits.isdigit() or len(digits) not in (2, 4, 6, 8, 10):
            raise ChainAtlasError(
                f"HS code {raw!r}: expected 2, 4, 6, 8 or 10 digits (dots allowed, e.g. 8471.30)"
            )
        out.append(digits[:6])
    return sorted(set(out))


@dataclass
class ProductSectorBridge:
    """Trade of one year mapped to a table's sectors (exporter, importer, hs6, sector, value).

    ``flows`` is at the HS 2017 level after vintage conversion. Build with :meth:`build`.
    """

    system: str
    year: int
    vintage: str
    flows: pd.DataFrame
    unmapped_value: float
    seconds: float
    notes: list[str] = field(default_factory=list)

    @classmethod
    def build(
        cls,
        store,
        year: int,
        *,
        system: str = "wiod2013",
        vintage: str | None = None,
        concordance_dir: str | Path,
        wiod_dir: str | Path | None = None,
        sectors: list[str] | None = None,
        exporters: list[str] | None = None,
        importers: list[str] | None = None,
    ) -> ProductSectorBridge:
        """Map the store's flows of ``year`` to ``system`` sectors (trade-weighted)."""
        from chainatlas.trade.concordances import load_concordances

        start = time.perf_counter()
        vintage = store.resolve_vintage(vintage)
        if int(year) not in store.years(vintage):
            raise ChainAtlasError(
                f"the trade store has no {vintage} flows for {year} (has "
                f"{', '.join(map(str, store.years(vintage)))})"
            )
        mapping = isic_sector_map(
            system, concordance_dir=concordance_dir, wiod_dir=wiod_dir, sectors=sectors
        )
        con = store.con
        con.register("_bridge_sectors", mapping[["hs6", "sector"]])
        if vintage != BRIDGE_VINTAGE:
            weights = load_concordances(concordance_dir).conversion_weights(vintage, BRIDGE_VINTAGE)
            con.register("_bridge_weights", weights[["from_code", "to_code", "weight"]])
            recode = """
                SELECT f.exporter, f.importer, w.to_code AS hs6, f.value * w.weight AS value
                FROM base f JOIN _bridge_weights w ON f.hs6 = w.from_code
                UNION ALL
                SELECT f.exporter, f.importer, f.hs6, f.value FROM base f
                WHERE f.hs6 NOT IN (SELECT from_code FROM _bridge_weights)"""
        else:
            recode = "SELECT exporter, importer, hs6, value FROM base"
        filters, params = ["year = ?", "vintage = ?"], [int(year), vintage]
        for column, values in (("exporter", exporters), ("importer", importers)):
            if values:
                filters.append(f"{column} IN ({', '.join('?' for _ in values)})")
                params.extend(values)
        try:
            flows = store.sql(
                f"""
                WITH base AS (
                    SELECT exporter, importer, hs6, sum(value) AS value FROM flows
                    WHERE {" AND ".join(filters)} GROUP BY exporter, importer, hs6),
                recoded AS ({recode})
                SELECT r.exporter, r.importer, r.hs6, s.sector, sum(r.value) AS value
                FROM recoded r LEFT JOIN _bridge_sectors s ON r.hs6 = s.hs6
                GROUP BY r.exporter, r.importer, r.hs6, s.sector""",
                params,
            )
        finally:
            con.unregister("_bridge_sectors")
            if vintage != BRIDGE_VINTAGE:
                con.unregister("_bridge_weights")
        unmapped = flows["sector"].isna()
        notes = []
        unmapped_value = float(flows.loc[unmapped, "value"].sum())
        if unmapped.any():
            share = 100 * unmapped_value / max(float(flows["value"].sum()), 1e-300)
            notes.append(
                f"{flows.loc[unmapped, 'hs6'].nunique()} HS6 line(s) carrying "
                f"{unmapped_value:,.0f} of trade ({share:.3f}%) have no {system} sector"
            )
        return cls(
            system=system,
            year=int(year),
            vintage=vintage,
            flows=flows[~unmapped].reset_index(drop=True),
            unmapped_value=unmapped_value,
            seconds=time.perf_counter() - start,
            notes=notes,
        )

    def sector_trade(self) -> pd.DataFrame:
        """exporter, importer, sector, value."""
        return (
            self.flows.groupby(["exporter", "importer", "sector"], sort=True)["value"]
            .sum()
            .reset_index()
        )

    def coverage(
        self,
        hs_codes: list[str],
        exporters: list[str] | None = None,
        importers: list[str] | None = None,
    ) -> pd.DataFrame:
        """Share of each exporter -> importer sector flow carried by the listed HS codes.

        Returns exporter, importer, sector, covered, total, coverage (covered / total), and
        n_lines (listed HS6 lines traded in that flow). Codes are prefixes (see
        :func:`normalise_hs_codes`); HS8 lines are truncated to HS6, so a list naming only
        some HS8 lines of an HS6 counts the whole HS6 line (an upper bound, noted).
        """
        prefixes = normalise_hs_codes(hs_codes)
        flows = self.flows
        if exporters:
            flows = flows[flows["exporter"].isin(exporters)]
        if importers:
            flows = flows[flows["importer"].isin(importers)]
        hs6 = flows["hs6"].astype(str)
        listed = np.zeros(len(flows), dtype=bool)
        for length in (2, 4, 6):
            group = [p for p in prefixes if len(p) == length]
            if group:
                listed |= hs6.str[:length].isin(group).to_numpy()
        frame = flows.assign(
            covered=np.where(listed, flows["value"], 0.0), n_lines=listed.astype(int)
        )
        out = (
            frame.groupby(["exporter", "importer", "sector"], sort=True)
            .agg(covered=("covered", "sum"), total=("value", "sum"), n_lines=("n_lines", "sum"))
            .reset_index()
        )
        out["coverage"] = np.where(out["total"] > 0, out["covered"] / out["total"], 0.0)
        return out

    def hs6_shares(self) -> pd.DataFrame:
        """Trade weight of each HS6 line in its sector (all flows): hs6, sector, value, share."""
        lines = self.flows.groupby(["sector", "hs6"], sort=True)["value"].sum().reset_index()
        totals = lines.groupby("sector")["value"].transform("sum")
        lines["share"] = np.where(totals > 0, lines["value"] / totals, 0.0)
        return lines
