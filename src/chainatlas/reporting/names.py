"""English and Chinese names of economies, sectors, regions, indicators and report text.

All names live in data files under ``chainatlas/data`` (never in code):
``names_countries.csv`` (iso3, name_en, name_zh, region), ``sectors_wiod2013.csv`` (English
WIOD 2013 sector names) with ``names_sectors_wiod2013_zh.csv`` (Chinese),
``names_indicators.csv`` (indicator, name_en, name_zh), ``names_hs2.csv`` (HS chapters) and
``report_strings.csv`` (key, en, zh) for every sentence, title, axis label and note of the
reports and the web atlas.
An unknown code falls back to the code itself, so a table with new economies still renders.
"""

from __future__ import annotations

from functools import lru_cache

import pandas as pd

from chainatlas.data import read_csv
from chainatlas.errors import ChainAtlasError

LANGUAGES = ("en", "zh")


def check_language(lang: str) -> str:
    key = lang.lower()
    if key not in LANGUAGES:
        raise ChainAtlasError(f"unknown language {lang!r}; choose one of {', '.join(LANGUAGES)}")
    return key


@lru_cache(maxsize=1)
def _countries() -> pd.DataFrame:
    return read_csv("names_countries.csv", dtype=str, keep_default_na=False).set_index("iso3")


@lru_cache(maxsize=1)
def _sectors() -> pd.DataFrame:
    english = read_csv("sectors_wiod2013.csv", dtype=str, keep_default_na=False)
    chinese = read_csv("names_sectors_wiod2013_zh.csv", dtype=str, keep_default_na=False)
    return english.merge(chinese, on="code", how="left").set_index("code")


@lru_cache(maxsize=1)
def _indicators() -> pd.DataFrame:
    return read_csv("names_indicators.csv", dtype=str, keep_default_na=False).set_index("indicator")


@lru_cache(maxsize=1)
def _hs2() -> pd.DataFrame:
    return read_csv("names_hs2.csv", dtype=str, keep_default_na=False).set_index("hs2")


@lru_cache(maxsize=1)
def _strings() -> pd.DataFrame:
    return read_csv("report_strings.csv", dtype=str, keep_default_na=False).set_index("key")


def country(code: str, lang: str) -> str:
    table = _countries()
    if code in table.index:
        return table.at[code, f"name_{lang}"] or code
    return code


def region_of(code: str) -> str:
    """Geographic region key of an economy (``other`` when not in the names file)."""
    table = _countries()
    return table.at[code, "region"] if code in table.index else "other"


def sector(code: str, lang: str, short: bool = False) -> str:
    table = _sectors()
    if code not in table.index:
        return code
    name = table.at[code, f"name_{lang}"] or table.at[code, "name_en"] or code
    if short and len(name) > 34:
        name = name[:32].rstrip(" ,;") + "…"
    return name


def hs2(code: str, lang: str) -> str:
    """'85 Electrical machinery and equipment' (the code alone when unknown)."""
    key = str(code).zfill(2)
    table = _hs2()
    if key in table.index:
        return f"{key} {table.at[key, f'name_{lang}']}"
    return key


def indicator(code: str, lang: str) -> str:
    table = _indicators()
    if code in table.index:
        return table.at[code, f"name_{lang}"] or code
    return code


def text(key: str, lang: str, **values: object) -> str:
    """Report sentence ``key`` in ``lang`` with ``{placeholders}`` filled from ``values``."""
    table = _strings()
    if key not in table.index:
        raise KeyError(f"report string {key!r} missing from report_strings.csv")
    template = table.at[key, lang] or table.at[key, "en"]
    return template.format(**values) if values else template


def has_text(key: str) -> bool:
    return key in _strings().index


def all_texts(prefix: str = "") -> dict[str, dict[str, str]]:
    """{key: {lang: text}} for every key starting with ``prefix`` (for the web atlas)."""
    table = _strings()
    keys = [k for k in table.index if k.startswith(prefix)]
    return {k: {lang: table.at[k, lang] or table.at[k, "en"] for lang in LANGUAGES} for k in keys}


def country_names(lang: str) -> dict[str, str]:
    table = _countries()
    return {code: table.at[code, f"name_{lang}"] or code for code in table.index}


def sector_names(lang: str) -> dict[str, str]:
    table = _sectors()
    return {code: sector(code, lang) for code in table.index}


def indicator_names(lang: str) -> dict[str, str]:
    table = _indicators()
    return {code: table.at[code, f"name_{lang}"] or code for code in table.index}


def money(usd_million: float, lang: str) -> str:
    """A briefing-style amount from USD million: 'USD 2.08 tn' / 'USD 845.3 bn' in English,
    '2.08万亿美元' / '8,453亿美元' in Chinese (1 亿 = 10⁸, 1 万亿 = 10¹²)."""
    if usd_million != usd_million:  # NaN
        return "–"
    usd = float(usd_million) * 1e6
    if lang == "zh":
        if abs(usd) >= 1e12:
            return text("money.tn", lang, value=f"{usd / 1e12:,.2f}")
        return text("money.bn", lang, value=f"{usd / 1e8:,.0f}" if abs(usd) >= 1e10 else
                    f"{usd / 1e8:,.1f}")
    if abs(usd) >= 1e12:
        return text("money.tn", lang, value=f"{usd / 1e12:,.2f}")
    return text("money.bn", lang, value=f"{usd / 1e9:,.1f}")


def percent(share: float) -> str:
    """A share (0–1) as a percentage with one decimal."""
    return "–" if share != share else f"{100 * share:.1f}%"
