"""The replication-report machinery shared by the five studies.

* the item catalogue (``data/studies/items.csv``: every numbered STUDIES.md item, its kind,
  the data that would fill it and the command) and the published values
  (``data/studies/published_values.csv``: entered once, each with its source);
* :class:`StudyContext` — what the user gave (table source, years, trade store, optional
  files) and a small model cache;
* :class:`ItemResult` / :class:`Value` — one item's status, computed values and reason;
* :func:`run_study` — every item of a study, none skipped: computed items come from the
  study module, the others are listed as qualitative or with the data and command they need.

Statuses: ``computed``; ``method unpublished`` (computed with a stated reconstruction of a
method the study does not publish); ``needs data`` (the data the user gave cannot fill it —
the file and command that would are named); ``qualitative``.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from chainatlas.errors import ChainAtlasError

STUDIES = ("s0", "s1", "s2", "s3", "s4")
STUDY_TITLES = {
    "s0": ("Seven dimensions of China's industrial chain: risks and opportunities (S0)",
           "七个维度吃透中国产业链的“危与机”（S0）"),
    "s1": ("Guo & Chen (2025): the re-layout of global industrial chains (S1)",
           "郭、陈（2025）：全球产业链再布局（S1）"),
    "s2": ("Shen & Li (2023): new trends of GVC restructuring and China's upgrading (S2)",
           "沈、李（2023）：全球价值链重构新趋势与中国产业链升级路径（S2）"),
    "s3": ("Li Qingru (2025): industrial-chain transfer and its Northeast-Asian tendency (S3)",
           "李清如（2025）：产业链转移及其东北亚趋向研析（S3）"),
    "s4": ("Li & Xia: asymmetric China–US industrial dependence and conflict (S4)",
           "李、夏：中美产业不对称依赖与冲突的影响研究（S4）"),
}  # fmt: skip
COMPUTED = "computed"
RECONSTRUCTED = "method unpublished"
NEEDS_DATA = "needs data"
QUALITATIVE = "qualitative"
STATUSES = (COMPUTED, RECONSTRUCTED, NEEDS_DATA, QUALITATIVE)
STATUS_ZH = {
    COMPUTED: "已计算",
    RECONSTRUCTED: "方法未公开（已按重构方法计算）",
    NEEDS_DATA: "需要数据",
    QUALITATIVE: "定性",
}


# --- catalogue and published values -------------------------------------------------------
@lru_cache(maxsize=1)
def catalogue() -> pd.DataFrame:
    """The 80 items: item, study, section, kind, title_en, title_zh, data_needed, command."""
    text = resources.files("chainatlas.data").joinpath("studies/items.csv")
    with resources.as_file(text) as path:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame["item"] = frame["item"].astype(int)
    return frame


@lru_cache(maxsize=1)
def published_values() -> pd.DataFrame:
    """item, key, year, value (text as printed), unit, source."""
    text = resources.files("chainatlas.data").joinpath("studies/published_values.csv")
    with resources.as_file(text) as path:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame["item"] = frame["item"].astype(int)
    return frame


def _number(text: Any) -> float | None:
    if text is None:
        return None
    if isinstance(text, int | float) and not isinstance(text, bool):
        return None if math.isnan(float(text)) else float(text)
    try:
        return float(str(text).replace(",", ""))
    except ValueError:
        return None


def lookup_published(item: int, key: str, year: int | None) -> tuple[str, str, str] | None:
    """(value text, unit, source) of a published value, or None."""
    table = published_values()
    rows = table[(table["item"] == item) & (table["key"] == key)]
    if year is not None:
        exact = rows[rows["year"] == str(year)]
        rows = exact if len(exact) else rows[rows["year"] == ""]
    if rows.empty:
        return None
    row = rows.iloc[0]
    return row["value"], row["unit"], row["source"]


# --- results -------------------------------------------------------------------------------
@dataclass
class Value:
    """One computed quantity of an item (numbers, or a text such as a hub list / yes-no)."""

    key: str
    computed: float | str | None
    year: int | None = None
    unit: str = ""
    note: str = ""
    published_year: int | None = None  # compare with the study's value of another year


@dataclass
class ItemResult:
    item: int
    status: str
    values: list[Value] = field(default_factory=list)
    reason: str = ""  # why computed and published cannot agree (or why nothing is computed)
    method: str = ""  # what was computed, with which reconstruction or variant

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"unknown status {self.status!r}")


@dataclass
class StudyReport:
    study: str
    context: dict[str, Any]
    items: list[ItemResult]
    notes: list[str] = field(default_factory=list)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)  # extra detail tables
    table_titles: dict[str, str] = field(default_factory=dict)

    def values_frame(self) -> pd.DataFrame:
        """One row per (item, key, year): computed, published, difference, source."""
        rows = []
        for result in self.items:
            for v in result.values:
                published = lookup_published(
                    result.item, v.key, v.published_year if v.published_year else v.year
                )
                pub_text, unit, source = published or ("", v.unit, "")
                rows.append(
                    {
                        "item": result.item,
                        "key": v.key,
                        "year": v.year,
                        "computed": _display(v.computed),
                        "published": pub_text,
                        "published_year": v.published_year or (v.year if pub_text else None),
                        "difference": _difference(v.computed, pub_text, v.unit or unit),
                        "unit": v.unit or unit,
                        "published_source": source,
                        "note": v.note,
                    }
                )
            if not result.values:
                for _, row in _published_rows(result.item).iterrows():
                    rows.append(
                        {
                            "item": result.item,
                            "key": row["key"],
                            "year": int(row["year"]) if row["year"] else None,
                            "computed": "",
                            "published": row["value"],
                            "published_year": int(row["year"]) if row["year"] else None,
                            "difference": "",
                            "unit": row["unit"],
                            "published_source": row["source"],
                            "note": result.status,
                        }
                    )
        columns = ["item", "key", "year", "computed", "published", "published_year",
                   "difference", "unit", "published_source", "note"]  # fmt: skip
        frame = pd.DataFrame(rows, columns=columns)
        frame["year"] = frame["year"].astype("Int64")
        frame["published_year"] = frame["published_year"].astype("Int64")
        return frame

    def items_frame(self) -> pd.DataFrame:
        """One row per STUDIES.md item of the study, keyed by its number."""
        cat = catalogue().set_index("item")
        values = self.values_frame()
        rows = []
        for result in self.items:
            meta = cat.loc[result.item]
            mine = values[values["item"] == result.item]
            computed = mine[mine["computed"] != ""]
            # the headline: a computed value with a published counterpart, when there is one
            paired = computed[computed["published"] != ""]
            head = (
                paired.iloc[0]
                if len(paired)
                else computed.iloc[0]
                if len(computed)
                else mine.iloc[0]
                if len(mine)
                else None
            )
            needs = result.status == NEEDS_DATA
            rows.append(
                {
                    "item": result.item,
                    "study": self.study.upper(),
                    "section": meta["section"],
                    "title": meta["title_en"],
                    "title_zh": meta["title_zh"],
                    "status": result.status,
                    "status_zh": STATUS_ZH[result.status],
                    "n_values": len(computed),
                    "key": "" if head is None else head["key"],
                    "year": pd.NA if head is None else head["year"],
                    "computed": "" if head is None else head["computed"],
                    "published": "" if head is None else head["published"],
                    "difference": "" if head is None else head["difference"],
                    "unit": "" if head is None else head["unit"],
                    "reason": result.reason,
                    "method": result.method,
                    "data_needed": meta["data_needed"] if needs or meta["data_needed"] else "",
                    "command": meta["command"] if needs or meta["data_needed"] else "",
                }
            )
        frame = pd.DataFrame(rows)
        frame["year"] = frame["year"].astype("Int64")
        return frame


def _published_rows(item: int) -> pd.DataFrame:
    table = published_values()
    return table[table["item"] == item]


def _display(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    number = _number(value) if not isinstance(value, str) else None
    if number is not None:
        return f"{number:.10g}"  # the CSV keeps (nearly) full precision
    return str(value)


CODE_UNITS = ("HS2", "hub", "hubs", "test")


def _difference(computed: Any, published: str, unit: str = "") -> str:
    """computed − published for numbers; agrees/differs for texts and codes (HS2 chapters,
    hub lists, yes/no tests); '' if either is absent."""
    if computed is None or published == "":
        return ""
    if unit in CODE_UNITS:
        computed = str(computed)
    a = computed if not isinstance(computed, str) else _number(computed)
    if unit in CODE_UNITS:
        a = None
    b = _number(published)
    if isinstance(a, int | float) and not isinstance(a, bool) and b is not None:
        if math.isnan(float(a)):
            return ""
        return f"{float(a) - b:.6g}"  # a difference to a rounded published value
    if isinstance(computed, bool):
        computed = "yes" if computed else "no"
    left = str(computed).replace(" ", "").lower()
    right = published.strip().lower()
    if right not in ("yes", "no") and not all(ch.isalnum() or ch == ";" for ch in right):
        return ""  # a bound, an approximate sign or a phrase: judged in the reason
    return "agrees" if left == right else "differs"


# --- context -------------------------------------------------------------------------------
@dataclass
class StudyContext:
    """What the user gave. ``loader`` (year -> MRIOModel) overrides source/path."""

    source: str | None = None
    path: str | None = None
    years: Sequence[int] = ()
    trade_db: Path | None = None
    concordances: Path | None = None
    end_use_concordance: str = "unsd-majority"
    controls: Path | None = None
    patents: Path | None = None
    satellite: Path | None = None
    distances: Path | None = None
    interdependence_series: Path | None = None
    trade_years: Sequence[int] | None = None
    loader: Callable[[int], Any] | None = None
    cache_size: int = 2
    _models: OrderedDict = field(default_factory=OrderedDict, repr=False)
    _store: Any = field(default=None, repr=False)

    @property
    def has_table(self) -> bool:
        return bool(self.years) and (self.loader is not None or self.source is not None)

    def model(self, year: int):
        if year in self._models:
            self._models.move_to_end(year)
            return self._models[year]
        if self.loader is not None:
            model = self.loader(year)
        else:
            from chainatlas import sources

            model = sources.load(self.source, self.path, year)
        self._models[year] = model
        while len(self._models) > self.cache_size:
            self._models.popitem(last=False)
        return model

    def store(self):
        if self.trade_db is None:
            return None
        if self._store is None:
            from chainatlas.trade.store import open_store

            self._store = open_store(self.trade_db)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None
        self._models.clear()

    def describe(self) -> dict[str, Any]:
        years = list(self.years)
        return {
            "source": self.source or ("loader" if self.loader else ""),
            "path": str(self.path or ""),
            "years": f"{years[0]}–{years[-1]} ({len(years)})" if years else "",
            "trade_db": str(self.trade_db or ""),
            "end_use_concordance": self.end_use_concordance if self.trade_db else "",
            **{
                name: str(getattr(self, name))
                for name in ("controls", "patents", "satellite", "distances",
                             "interdependence_series")
                if getattr(self, name) is not None
            },
        }  # fmt: skip


# --- runner --------------------------------------------------------------------------------
ItemFunction = Callable[[Any], ItemResult]


def collect_shared(
    ctx: StudyContext, collect: Callable[[StudyContext], dict], notes: list[str]
) -> dict:
    """A study's one pass over the tables, shared by its MRIO items: ``{}`` when no table is
    given, and ``{}`` with a note on a user-data error (the MRIO items then say why they are
    not computed)."""
    if not ctx.has_table:
        return {}
    try:
        return collect(ctx) or {}
    except ChainAtlasError as exc:
        notes.append(f"the tables could not be used for this study: {exc}")
        return {}


def needs_data(item: int, reason: str) -> ItemResult:
    return ItemResult(item, NEEDS_DATA, reason=reason)


def default_result(item: int, ctx: StudyContext) -> ItemResult:
    """An item the study module does not compute from what the user gave."""
    meta = catalogue().set_index("item").loc[item]
    kind = meta["kind"]
    if kind == "qualitative":
        return ItemResult(item, QUALITATIVE, reason="qualitative claim or citation: no number")
    if kind == "external":
        return needs_data(item, f"outside the MRIO and trade data: {meta['data_needed']}")
    if kind == "trade" and ctx.trade_db is None:
        return needs_data(item, "product-level trade data not given (--trade-db)")
    if kind in ("mrio",) and not ctx.has_table:
        return needs_data(item, "no input-output table given (--source/--path/--years)")
    return needs_data(item, meta["data_needed"] or "not computable from the data given")


def run_items(
    study: str, ctx: StudyContext, functions: dict[int, ItemFunction], shared: Any
) -> list[ItemResult]:
    """Every catalogue item of ``study`` in order; none is skipped."""
    cat = catalogue()
    results = []
    for item in cat.loc[cat["study"] == study, "item"]:
        function = functions.get(int(item))
        try:
            result = function(shared) if function is not None else None
        except ChainAtlasError as exc:
            # e.g. a table without the WIOD-2013 sector codes an item needs: the item says
            # why, the rest of the report is still written
            result = needs_data(int(item), f"cannot compute on the data given: {exc}")
        if result is None:
            result = default_result(int(item), ctx)
        results.append(result)
    return results


def run_study(study: str, ctx: StudyContext) -> StudyReport:
    """Compute one study's replication report (``study`` in s0..s4)."""
    study = study.lower()
    if study not in STUDIES:
        raise ChainAtlasError(f"unknown study {study!r}; choose from {', '.join(STUDIES)}, all")
    from importlib import import_module

    module = import_module(f"chainatlas.studies.{study}")
    return module.run(ctx)


WIOD35 = frozenset(f"c{i}" for i in range(1, 36))


def has_wiod35(model) -> bool:
    """The sector groups (goods c1–c16, manufacturing c3–c16, …) need the WIOD-2013 codes."""
    return set(model.sectors) >= WIOD35


SECTOR_CODES_REASON = "the table does not use the WIOD-2013 35-sector codes (c1–c35)"
GOODS_SECTORS = tuple(f"c{i}" for i in range(1, 17))  # agriculture, mining, manufacturing
EAST_ASIA = ("CHN", "JPN", "KOR", "TWN", "HKG", "MNG")


def pct(value: float) -> float:
    return 100.0 * float(value)


def fmt_years(years: Sequence[int]) -> str:
    years = sorted(years)
    return f"{years[0]}–{years[-1]}" if len(years) > 1 else str(years[0]) if years else "none"


def check_file(path: Path | None, what: str) -> None:
    if path is not None and not Path(path).is_file():
        raise ChainAtlasError(f"{what} not found", path=str(path))
