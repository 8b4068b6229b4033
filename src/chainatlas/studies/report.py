"""Write a replication report: CSV (one row per item, plus every value), Markdown and HTML,
each in English and Chinese (one document, both languages side by side)."""

from __future__ import annotations

import html
import json
from pathlib import Path

import pandas as pd

from chainatlas.errors import ChainAtlasError
from chainatlas.studies.common import STATUS_ZH, STUDY_TITLES, StudyReport
from chainatlas.util.files import atomic_write

ITEM_COLUMNS = ["item", "status", "title", "computed", "published", "difference", "reason"]
HEADINGS = {
    "context": ("Input", "输入"),
    "summary": ("Status of the items", "各项状态"),
    "items": ("Items", "分项结果"),
    "values": ("All values", "全部数值"),
    "notes": ("Notes", "说明"),
    "needs": ("Data that would fill the remaining items", "补全其余各项所需数据"),
}
COLUMN_ZH = {
    "item": "编号", "status": "状态", "title": "内容", "computed": "计算值",
    "published": "发表值", "difference": "差值", "reason": "原因", "key": "指标",
    "year": "年份", "unit": "单位", "published_source": "发表值来源", "note": "备注",
    "data_needed": "所需数据", "command": "命令", "n_items": "项数",
}  # fmt: skip


def _bilingual(key: str) -> str:
    en, zh = HEADINGS[key]
    return f"{en} / {zh}"


def _summary(items: pd.DataFrame) -> pd.DataFrame:
    counts = items.groupby("status").size()
    return pd.DataFrame(
        {
            "status": [f"{s} / {STATUS_ZH[s]}" for s in counts.index],
            "n_items": counts.to_numpy(),
        }
    )


def _item_table(items: pd.DataFrame) -> pd.DataFrame:
    table = items.copy()
    table["status"] = table["status"] + " / " + table["status_zh"]
    table["title"] = table["title"] + " / " + table["title_zh"]
    table["computed"] = [
        f"{c}{' (' + str(y) + ')' if pd.notna(y) and c != '' else ''}"
        + (f" [+{n - 1} more]" if n > 1 else "")
        for c, y, n in zip(table["computed"], table["year"], table["n_values"], strict=True)
    ]
    table["reason"] = [
        r if not m else (f"{r} — method: {m}" if r else f"method: {m}")
        for r, m in zip(table["reason"], table["method"], strict=True)
    ]
    return table[ITEM_COLUMNS]


def _header(frame: pd.DataFrame) -> list[str]:
    return [f"{c} / {COLUMN_ZH[c]}" if c in COLUMN_ZH else str(c) for c in frame.columns]


def _md_table(frame: pd.DataFrame) -> list[str]:
    def cell(value) -> str:
        if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
            return ""
        return str(value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(_header(frame)) + " |", "|" + "---|" * len(frame.columns)]
    for row in frame.itertuples(index=False):
        lines.append("| " + " | ".join(cell(v) for v in row) + " |")
    return lines


def _needs_table(items: pd.DataFrame) -> pd.DataFrame:
    needs = items[items["status"] == "needs data"]
    return needs[["item", "data_needed", "command"]]


def to_markdown(report: StudyReport) -> str:
    en, zh = STUDY_TITLES[report.study]
    items = report.items_frame()
    lines = [f"# {en}", f"# {zh}", "", "Replication report / 复现报告", ""]
    lines += [f"## {_bilingual('context')}", ""]
    lines += [f"- {k}: {v}" for k, v in report.context.items() if v != ""] + [""]
    lines += [f"## {_bilingual('summary')}", "", *_md_table(_summary(items)), ""]
    lines += [f"## {_bilingual('items')}", "", *_md_table(_item_table(items)), ""]
    needs = _needs_table(items)
    if len(needs):
        lines += [f"## {_bilingual('needs')}", "", *_md_table(needs), ""]
    for name, table in report.tables.items():
        title = report.table_titles.get(name, name)
        lines += [f"## {title}", "", *_md_table(table.reset_index(drop=True)), ""]
    values = report.values_frame()
    lines += [f"## {_bilingual('values')}", "", *_md_table(values), ""]
    if report.notes:
        lines += [f"## {_bilingual('notes')}", ""] + [f"- {n}" for n in report.notes] + [""]
    return "\n".join(lines)


def _html_table(frame: pd.DataFrame) -> str:
    from chainatlas.reporting.render import table_html

    shown = frame.copy()
    shown.columns = _header(frame)
    shown = shown.astype(object).where(shown.notna(), "")
    return table_html(shown)


def to_html(report: StudyReport) -> str:
    en, zh = STUDY_TITLES[report.study]
    items = report.items_frame()
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{html.escape(en)}</title>",
        "<style>body{font-family:sans-serif;margin:2em;max-width:110em}"
        "table.data{border-collapse:collapse;font-size:12px;margin-bottom:1.5em}"
        "table.data th,table.data td{border:1px solid #ccd;padding:3px 6px;text-align:left;"
        "vertical-align:top}table.data th{background:#f0f4f8}</style></head><body>",
        f"<h1>{html.escape(en)}</h1><h1 lang='zh'>{html.escape(zh)}</h1>",
        "<p>Replication report / 复现报告</p>",
        f"<h2>{_bilingual('context')}</h2><ul>",
    ]
    parts += [
        f"<li>{html.escape(k)}: {html.escape(str(v))}</li>"
        for k, v in report.context.items()
        if v != ""
    ]
    parts.append("</ul>")
    parts += [f"<h2>{_bilingual('summary')}</h2>", _html_table(_summary(items))]
    parts += [f"<h2>{_bilingual('items')}</h2>", _html_table(_item_table(items))]
    needs = _needs_table(items)
    if len(needs):
        parts += [f"<h2>{_bilingual('needs')}</h2>", _html_table(needs)]
    for name, table in report.tables.items():
        title = report.table_titles.get(name, name)
        parts += [f"<h2>{html.escape(title)}</h2>", _html_table(table.reset_index(drop=True))]
    parts += [f"<h2>{_bilingual('values')}</h2>", _html_table(report.values_frame())]
    if report.notes:
        parts.append(f"<h2>{_bilingual('notes')}</h2><ul>")
        parts += [f"<li>{html.escape(n)}</li>" for n in report.notes]
        parts.append("</ul>")
    parts.append("</body></html>")
    return "\n".join(parts)


def write_report(report: StudyReport, out_dir: str | Path) -> list[Path]:
    """``<study>_items.csv``, ``<study>_values.csv``, one CSV per detail table,
    ``<study>.md``, ``<study>.html`` and ``<study>_context.json`` — each written atomically."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ChainAtlasError("--out must be a directory, not a file", path=str(out))
    out.mkdir(parents=True, exist_ok=True)
    name = report.study
    written = []

    def csv(frame: pd.DataFrame, target: Path) -> None:
        # UTF-8 with BOM: spreadsheet programs then read the Chinese columns
        written.append(
            atomic_write(target, lambda tmp: frame.to_csv(tmp, index=False, encoding="utf-8-sig"))
        )

    csv(report.items_frame(), out / f"{name}_items.csv")
    csv(report.values_frame(), out / f"{name}_values.csv")
    for key, table in report.tables.items():
        stem = "".join(ch if ch.isalnum() else "_" for ch in key.lower()).strip("_")
        csv(table, out / f"{name}_{stem}.csv")
    md, page = to_markdown(report), to_html(report)
    written.append(atomic_write(out / f"{name}.md", lambda t: t.write_text(md, encoding="utf-8")))
    written.append(
        atomic_write(out / f"{name}.html", lambda t: t.write_text(page, encoding="utf-8"))
    )
    meta = json.dumps(
        {"study": name, "context": report.context, "notes": report.notes},
        ensure_ascii=False,
        indent=2,
    )
    written.append(
        atomic_write(out / f"{name}_context.json", lambda t: t.write_text(meta, encoding="utf-8"))
    )
    return written
