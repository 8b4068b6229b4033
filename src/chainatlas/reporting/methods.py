"""The report's own "Methods and references" section: each indicator's definition and the full
references (authors, year, title, publication), so the file needs no document outside itself.

Texts are data: definitions in ``report_strings.csv`` (``methods.*``), references in
``references.csv``.
"""

from __future__ import annotations

import html
from functools import lru_cache

import pandas as pd

from chainatlas.data import read_csv
from chainatlas.reporting import names

# indicator -> the references it rests on (keys of references.csv), in report order
INDICATORS: dict[str, tuple[str, ...]] = {
    "va_content": ("oecd2021", "kww2014"),
    "participation": ("wwyz2017a",),
    "length": ("wwyz2017b",),
    "linkage": ("li2025", "jn2012"),
    "network": ("wto2019", "wwyz2017a"),
    "dependence": ("leontief1986",),
    "product_screen": ("kpd2017",),
    "scenario": ("leontief1986",),
}
OPTIONAL = {"product_screen": "trade", "scenario": "scenario"}
DVA_REFERENCES = ("oecd2021", "wwz2013", "kww2014")


@lru_cache(maxsize=1)
def references() -> pd.DataFrame:
    return read_csv("references.csv", dtype=str, keep_default_na=False).set_index("key")


def _year(key: str) -> str:
    """'2017a' for key wwyz2017a (two works of one year), else the year column."""
    row = references().loc[key]
    suffix = key[-1] if key[-1].isalpha() and key[-5:-1] == row["year"] else ""
    return f"{row['year']}{suffix}"


def citation(key: str) -> str:
    """Short in-text form: 'Wang, Wei, Yu and Zhu (2017a)'."""
    row = references().loc[key]
    surnames = [a.split(",")[0].strip() for a in row["authors"].split(";")]
    who = surnames[0] if len(surnames) == 1 else ", ".join(surnames[:-1]) + " and " + surnames[-1]
    return f"{who} ({_year(key)})"


def full_reference(key: str) -> str:
    """'Authors (year). Title. Publication.'"""
    row = references().loc[key]
    authors = "; ".join(a.strip() for a in row["authors"].split(";"))
    return f"{authors} ({_year(key)}). {row['title']}. {row['publication']}."


def methods_html(lang: str, source: str, sections: set[str]) -> str:
    """The section body in ``lang`` for a report that has ``sections`` (trade, scenario …)."""
    keys = [k for k in INDICATORS if k not in OPTIONAL or OPTIONAL[k] in sections]
    parts = [f"<p>{html.escape(names.text('methods.intro', lang, source=source))}</p>"]
    head = "".join(
        f"<th>{html.escape(names.text(f'methods.heading.{h}', lang))}</th>"
        for h in ("indicator", "definition", "reference")
    )
    rows = []
    for key in keys:
        cited = "; ".join(citation(r) for r in INDICATORS[key])
        rows.append(
            "<tr>"
            f"<td>{html.escape(names.text(f'methods.name.{key}', lang))}</td>"
            f"<td>{html.escape(names.text(f'methods.def.{key}', lang))}</td>"
            f"<td>{html.escape(cited)}</td>"
            "</tr>"
        )
    parts.append(
        f'<table class="methods"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody>'
        "</table>"
    )
    parts.append(f"<h3>{html.escape(names.text('methods.dva_measures', lang))}</h3>")
    parts.append(f"<p>{html.escape(names.text('methods.dva_text', lang))}</p>")
    used = dict.fromkeys([r for k in keys for r in INDICATORS[k]] + list(DVA_REFERENCES))
    used["timmer2015"] = None
    listed = sorted(used, key=lambda k: (references().at[k, "authors"], k))
    parts.append(f"<h3>{html.escape(names.text('methods.references', lang))}</h3>")
    parts.append(
        '<ol class="references">'
        + "".join(f"<li>{html.escape(full_reference(k))}</li>" for k in listed)
        + "</ol>"
    )
    parts.append(f"<p>{html.escape(names.text('methods.source', lang, source=source))}</p>")
    return "".join(parts)
