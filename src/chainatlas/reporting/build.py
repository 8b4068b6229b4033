"""Build the bilingual HTML report of one focus economy over a panel of years."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from chainatlas.errors import ChainAtlasError
from chainatlas.reporting import names
from chainatlas.reporting.charts import (
    Chart,
    ReportContext,
    core_charts,
    network_data,
    va_origin_data,
)
from chainatlas.reporting.data import ReportCache, default_cache_dir
from chainatlas.reporting.render import Section, render_report
from chainatlas.util.files import atomic_write
from chainatlas.util.years import parse_years

# the HTML must stay below this (issue 6); plotly.js alone is ~4.8 MB
MAX_REPORT_BYTES = 15 * 1024 * 1024


def _pct(value: float) -> str:
    return "–" if pd.isna(value) else f"{100 * value:.1f}%"


def _num(value: float, digits: int = 2) -> str:
    return "–" if pd.isna(value) else f"{value:,.{digits}f}"


def _check_focus(focus: str, countries: pd.Series, source: str) -> str:
    """The focus as an ISO3 code of the table; RoW (a residual of many economies) is none."""
    known = sorted(c for c in countries.unique() if c != "ROW")
    focus_code = focus.strip().upper()
    if focus_code == "ROW":
        raise ChainAtlasError(
            f"the rest of the world is a residual, not an economy to report on (--focus "
            f"{focus!r}); choose one of {', '.join(known)}"
        )
    if focus_code not in known:
        raise ChainAtlasError(
            f"unknown focus economy {focus!r}; the {source} table has {', '.join(known)}"
        )
    return focus_code


def load_context(
    source: str,
    path: str | os.PathLike[str] | None,
    years: Sequence[int],
    focus: str,
    *,
    cache_dir: Path | None = None,
    progress: Callable[[int], None] | None = None,
) -> tuple[ReportContext, ReportCache]:
    """Per-year tables for ``years`` (from the cache when present) stacked into a context."""
    from chainatlas import sources
    from chainatlas.sources.paths import resolve_path

    data_path = resolve_path(source, path)
    cache = ReportCache(cache_dir, source, data_path)
    years = sorted(set(years))
    if not years:
        raise ChainAtlasError("no years selected for the report")
    panels: dict[str, list[pd.DataFrame]] = {}
    units = "USD million, current prices"
    for year in years:
        # every year: the time series; first and last: network; last: linkage, dependence
        wanted = ["country", "fva_origin", "va_trade"]
        if year in (years[0], years[-1]):
            wanted.append("network")
        if year == years[-1]:
            wanted += ["linkage", "dependence"]
        tables, meta = cache.tables(
            year, lambda y: sources.load(source, data_path, y), tuple(wanted)
        )
        units = meta.get("units", units)
        if not panels:  # check the focus on the first year, before computing the others
            focus_code = _check_focus(focus, tables["country"]["country"], source)
        for name, frame in tables.items():
            panels.setdefault(name, []).append(frame)
        if progress is not None:
            progress(year)
    stacked = {name: pd.concat(frames, ignore_index=True) for name, frames in panels.items()}
    focus_code = _check_focus(focus, stacked["country"]["country"], source)
    ctx = ReportContext(
        source=source,
        years=years,
        focus=focus_code,
        country=stacked["country"],
        fva_origin=stacked["fva_origin"],
        va_trade=stacked["va_trade"],
        linkage=stacked["linkage"],
        network=stacked["network"],
        dependence=stacked["dependence"],
        units=units,
    )
    return ctx, cache


def report_context(
    source: str,
    path: str | os.PathLike[str] | None,
    years: str | Sequence[int] | None,
    focus: str,
    *,
    cache_dir: str | os.PathLike[str] | bool | None = True,
    progress: Callable[[int], None] | None = None,
) -> ReportContext:
    """The context a report or a country profile is drawn from.

    ``years``: a text such as ``"1995-2011"``, a list of years, or None for every year of the
    source, checked against the years the source holds. ``cache_dir``: True = the default
    cache, a path, or False/None to compute everything in memory.
    """
    from chainatlas import sources

    available = sources.available_years(source, path)
    if years is None or isinstance(years, str):
        year_list = parse_years(years, available)
    else:
        year_list = parse_years(",".join(str(int(y)) for y in years), available)
    if cache_dir is True:
        cache_root: Path | None = default_cache_dir()
    elif cache_dir in (False, None):
        cache_root = None
    else:
        cache_root = Path(cache_dir)  # type: ignore[arg-type]
    ctx, _ = load_context(source, path, year_list, focus, cache_dir=cache_root, progress=progress)
    return ctx


def write_page(out: str | os.PathLike[str], document: bytes) -> Path:
    """Write an HTML page atomically, readable by all, and return its path."""

    def write(tmp: Path) -> None:
        tmp.write_bytes(document)
        tmp.chmod(0o644)  # a page is meant to be shared; mkstemp creates 0600

    return atomic_write(out, write)


def summary_paragraphs(ctx: ReportContext, lang: str) -> list[str]:
    """The executive-summary sentences, numbers taken from the same tables as the charts."""
    focus = ctx.country[ctx.country["country"] == ctx.focus].set_index("year")
    first, last = focus.loc[ctx.first_year], focus.loc[ctx.last_year]
    country = names.country(ctx.focus, lang)
    common = {"country": country, "first": ctx.first_year, "last": ctx.last_year}
    # one year: the sentences without the "(in {first}: …)" comparison with itself
    variant = ".single" if ctx.first_year == ctx.last_year else ""
    paragraphs = [
        names.text(
            f"summary.exports{variant}",
            lang,
            exports=names.money(last["exports"], lang)
            if ctx.units == "USD million, current prices"
            else f"{_num(last['exports'], 0)} {ctx.units}",
            dva=_pct(last["dva_share"]),
            fva=_pct(last["fva_share"]),
            dva0=_pct(first["dva_share"]),
            fva0=_pct(first["fva_share"]),
            **common,
        ),
        names.text(
            f"summary.participation{variant}",
            lang,
            fwd=_pct(last["gvc_forward"]),
            fwd0=_pct(first["gvc_forward"]),
            bwd=_pct(last["gvc_backward"]),
            bwd0=_pct(first["gvc_backward"]),
            **common,
        ),
        names.text(
            f"summary.position{variant}",
            lang,
            pos=_num(last["gvc_position"], 3),
            pos0=_num(first["gvc_position"], 3),
            **common,
        ),
        names.text(
            f"summary.length{variant}",
            lang,
            plv=_num(last["plv"]),
            ply=_num(last["ply"]),
            plv0=_num(first["plv"]),
            ply0=_num(first["ply"]),
            plvg=_num(last["plv_gvc"]),
            plyg=_num(last["ply_gvc"]),
            **common,
        ),
    ]
    origin = va_origin_data(ctx)
    # the rest of the world is a residual of many economies: never ranked, quoted apart
    last_origin = origin[origin["year"] == ctx.last_year]
    foreign = last_origin[~last_origin["origin"].isin(["domestic", "row"])]
    residual = last_origin.loc[last_origin["origin"] == "row", "share"].sum()
    if not foreign.empty:
        top = foreign.sort_values("share", ascending=False).iloc[0]
        paragraphs.append(
            names.text(
                "summary.origin",
                lang,
                region=names.text(f"region.{top['origin']}", lang)
                if names.has_text(f"region.{top['origin']}")
                else top["origin"],
                share=_pct(top["share"]),
                row=_pct(residual),
                **common,
            )
        )
    nodes = network_data(ctx)

    def hubs(year: int) -> str:
        codes = nodes[(nodes["year"] == year) & nodes["hub"]]["country"]
        listed = ", " if lang == "en" else "、"
        return listed.join(names.country(c, lang) for c in codes) or names.text(
            "summary.none", lang
        )

    paragraphs.append(
        names.text(
            f"summary.hubs{variant}",
            lang,
            hubs0=hubs(ctx.first_year),
            hubs=hubs(ctx.last_year),
            **common,
        )
    )
    paragraphs.append(
        names.text("summary.dva_measures", lang, tiva=_pct(last["dva_share"]), **common)
    )
    return paragraphs


def _section(key: str, charts: list[Chart], **kwargs: object) -> Section:
    return Section(
        key=key,
        titles={lang: names.text(f"section.{key}", lang) for lang in names.LANGUAGES},
        charts=charts,
        **kwargs,
    )


def assemble_sections(
    ctx: ReportContext, extra: dict[str, list[Chart]] | None = None
) -> list[Section]:
    charts = {chart.key: chart for chart in core_charts(ctx)}
    summary = [
        charts[k]
        for k in ("summary_shares", "summary_participation", "summary_length", "summary_position")
    ]
    sections = [
        _section(
            "summary",
            summary,
            paragraphs={lang: summary_paragraphs(ctx, lang) for lang in names.LANGUAGES},
            grid=True,
        ),
        _section("origin", [charts["va_origin"]]),
        _section("linkage", [charts["linkage"]]),
        _section("network", [charts["network"]]),
        _section("dependence", [charts["dependence"]]),
    ]
    for key, extra_charts in (extra or {}).items():
        if not extra_charts:
            continue
        text = ctx.extras.get(f"{key}_summary")
        paragraphs = {lang: [text[lang]] for lang in names.LANGUAGES} if text else {}
        sections.append(_section(key, extra_charts, paragraphs=paragraphs))
    from chainatlas.reporting.methods import methods_html

    present = {section.key for section in sections}
    sections.append(
        _section(
            "methods",
            [],
            html={
                lang: methods_html(lang, ctx.source_label(lang), present)
                for lang in names.LANGUAGES
            },
        )
    )
    return sections


def build_report(
    source: str,
    path: str | os.PathLike[str] | None,
    years: str | Sequence[int] | None,
    focus: str,
    lang: str = "en",
    out: str | os.PathLike[str] = "report.html",
    trade_db: str | os.PathLike[str] | None = None,
    scenario: str | os.PathLike[str] | None = None,
    *,
    cache_dir: str | os.PathLike[str] | bool | None = True,
    progress: Callable[[int], None] | None = None,
    pdf: str | os.PathLike[str] | None = None,
    charts_dir: str | os.PathLike[str] | None = None,
) -> Path:
    """Write the report of ``focus`` over ``years`` to ``out`` (atomically) and return its path.

    ``years``: a list of years, a text such as ``"1995-2011"``, or None for every year of the
    source. ``cache_dir``: True = the default cache (~/.cache/chainatlas/reports), a path, or
    False/None to compute everything in memory. ``pdf``: also print the report to this PDF;
    ``charts_dir``: also write every chart as PNG and SVG there (both need Chromium).
    """
    lang = names.check_language(lang)
    ctx = report_context(source, path, years, focus, cache_dir=cache_dir, progress=progress)

    extra: dict[str, list[Chart]] = {}
    if trade_db is not None:
        from chainatlas.reporting.extras import trade_charts

        extra["trade"] = trade_charts(ctx, Path(trade_db))
    if scenario is not None:
        from chainatlas.reporting.extras import scenario_charts

        extra["scenario"] = scenario_charts(ctx, Path(scenario), data_path=path)
    sections = assemble_sections(ctx, extra)
    titles = {
        lang_: names.text("report.title", lang_, country=names.country(ctx.focus, lang_))
        for lang_ in names.LANGUAGES
    }
    subtitles = {
        lang_: names.text(
            "report.subtitle",
            lang_,
            source=ctx.source_label(lang_),
            years=ctx.years_label(),
            country=names.country(ctx.focus, lang_),
        )
        for lang_ in names.LANGUAGES
    }
    document = render_report(sections, lang=lang, titles=titles, subtitles=subtitles)
    payload = document.encode("utf-8")
    if len(payload) > MAX_REPORT_BYTES:
        raise ChainAtlasError(
            f"report would be {len(payload) / 1e6:.1f} MB, over the 15 MB limit; "
            "choose fewer years or fewer extras"
        )
    written = write_page(out, payload)
    if charts_dir is not None:
        from chainatlas.reporting.export import export_charts

        export_charts([c for section in sections for c in section.charts], charts_dir)
    if pdf is not None:
        from chainatlas.reporting.export import print_pdf

        print_pdf(written, pdf)
    return written
