"""The numbers behind every report chart equal the indicator tables they come from.

Context: WIOD 2013, years 2000 and 2011, focus CHN (computed without a cache).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from chainatlas.core.value_added import foreign_va_in_exports, va_trade_matrix
from chainatlas.decompositions.tiva import tiva_indicators
from chainatlas.indicators.dependence import foreign_dependence
from chainatlas.indicators.length import production_length
from chainatlas.indicators.linkage import link_matrix
from chainatlas.indicators.network import flow_matrices, va_network
from chainatlas.indicators.participation import production_participation
from chainatlas.reporting import charts, names
from chainatlas.reporting.build import load_context, summary_paragraphs
from chainatlas.reporting.data import country_table

YEARS = [2000, 2011]
FOCUS = "CHN"


@pytest.fixture(scope="module")
def ctx(wiod_dir):
    context, _ = load_context("wiod2013", wiod_dir, YEARS, FOCUS, cache_dir=None)
    return context


@pytest.fixture(scope="module")
def all_charts(ctx):
    return {chart.key: chart for chart in charts.core_charts(ctx)}


def _country_rows(frame: pd.DataFrame, country: str, indicators) -> pd.Series:
    rows = frame[(frame["level"] == "country") & (frame["country"] == country)]
    return rows.set_index("indicator")["value"].reindex(list(indicators))


def test_country_table_equals_indicator_sets_and_tiva(wiod2011):
    table = country_table(wiod2011).set_index("country")
    participation = production_participation(wiod2011, levels=("country",))
    length = production_length(wiod2011, levels=("country",))
    for code in ("CHN", "USA", "DEU", "ROW"):
        expected = _country_rows(
            participation, code, charts.SUMMARY_SERIES["summary_participation"]
        )
        np.testing.assert_allclose(table.loc[code, expected.index], expected, rtol=1e-12)
        expected = _country_rows(length, code, ("plv", "ply", "plv_gvc", "ply_gvc", "gvc_position"))
        np.testing.assert_allclose(table.loc[code, expected.index], expected, rtol=1e-12)
    # VA content of exports against the TiVA decomposition (an independent implementation)
    tiva = tiva_indicators(wiod2011)
    totals = tiva[tiva["partner"].isna()].pivot(index="exporter", columns="term", values="value")
    np.testing.assert_allclose(table["exports"], totals.loc[table.index, "EXGR"], rtol=1e-9)
    np.testing.assert_allclose(table["dva"], totals.loc[table.index, "EXGR_DVA"], rtol=1e-9)
    np.testing.assert_allclose(table["fva"], totals.loc[table.index, "EXGR_FVA"], rtol=1e-9)
    np.testing.assert_allclose(table["vax"], totals.loc[table.index, "VAX"], rtol=1e-9)
    np.testing.assert_allclose(table["dva_share"] + table["fva_share"], 1.0, rtol=1e-12)


def test_summary_charts_show_the_focus_rows(ctx, all_charts, wiod_loader):
    for key, columns in charts.SUMMARY_SERIES.items():
        chart = all_charts[key]
        assert set(chart.data["indicator"]) == set(columns)
        for year in YEARS:
            model = wiod_loader(year)
            part = production_participation(model, levels=("country",))
            length = production_length(model, levels=("country",))
            tiva = tiva_indicators(model)
            totals = tiva[tiva["partner"].isna() & (tiva["exporter"] == FOCUS)]
            totals = totals.set_index("term")["value"]
            shares = pd.DataFrame(
                {
                    "level": "country",
                    "country": FOCUS,
                    "indicator": ["dva_share", "fva_share"],
                    "value": [
                        totals["EXGR_DVA"] / totals["EXGR"],
                        totals["EXGR_FVA"] / totals["EXGR"],
                    ],
                }
            )
            both = pd.concat([part, length, shares])
            both = both[both["indicator"].isin(columns)]
            expected = _country_rows(both, FOCUS, columns)
            assert expected.notna().all()
            shown = chart.data[chart.data["year"] == year].set_index("indicator")["value"]
            for indicator, value in expected.items():
                assert shown[indicator] == pytest.approx(value, rel=1e-12)
        # what is drawn is the data: one trace per indicator, y = values by year
        for lang in names.LANGUAGES:
            traces = chart.figures[lang].data
            assert len(traces) == len(columns)
            for trace, column in zip(traces, columns, strict=True):
                series = chart.data[chart.data["indicator"] == column].sort_values("year")
                np.testing.assert_allclose(trace.y, series["value"])
                assert list(trace.x) == YEARS


def test_va_origin_shares_are_dexfvap_by_region(ctx, all_charts, wiod_loader):
    data = all_charts["va_origin"].data
    model = wiod_loader(2011)
    content = foreign_va_in_exports(model)  # (origin, exporter)
    s = model.country_position(FOCUS)
    exports = content[:, s].sum()
    rows = data[data["year"] == 2011].set_index("origin")["share"]
    assert rows.sum() == pytest.approx(1.0, rel=1e-12)
    assert rows["domestic"] == pytest.approx(content[s, s] / exports, rel=1e-12)
    members = [
        i for i, c in enumerate(model.countries) if names.region_of(c) == "east_asia" and c != FOCUS
    ]
    assert rows["east_asia"] == pytest.approx(content[members, s].sum() / exports, rel=1e-12)
    # the domestic share is the summary's DVA share
    summary = ctx.country.set_index(["country", "year"]).loc[(FOCUS, 2011), "dva_share"]
    assert rows["domestic"] == pytest.approx(summary, rel=1e-12)


def test_linkage_chart_is_the_link_matrix(ctx, all_charts, wiod_loader):
    chart = all_charts["linkage"]
    model = wiod_loader(2011)
    expected = link_matrix(model)
    expected = expected[expected["indicator"] == "link"].set_index(["exporter", "importer"])[
        "value"
    ]
    shown = chart.data.set_index(["exporter", "importer"])["value"]
    assert len(shown) >= 2
    np.testing.assert_allclose(shown, expected.loc[shown.index], rtol=1e-12)
    # METHODS §7.3: LINK_rs² · VAX_r · VAM_s = (100 T_rs)², all in [0, 100]
    T = va_trade_matrix(model)
    off = T - np.diag(np.diag(T))
    vax, vam = off.sum(axis=1), off.sum(axis=0)  # over all partners, RoW included
    for (r, s_), value in shown.items():
        i, j = model.country_position(r), model.country_position(s_)
        t_rs = T[i, j]
        assert 0.0 <= value <= 100.0
        assert value**2 * vax[i] * vam[j] == pytest.approx((100 * t_rs) ** 2, rel=1e-9)
    assert chart.data["exporter"].iloc[0] == FOCUS or FOCUS in set(chart.data["exporter"])


def test_network_nodes_and_links_follow_the_flow_matrices(ctx, all_charts, wiod_loader):
    data = all_charts["network"].data
    for year in YEARS:
        model = wiod_loader(year)
        labels, flows = flow_matrices(model)
        complex_flows = flows["complex"]
        nodes = data[data["year"] == year].set_index("country")
        assert "ROW" not in nodes.index
        np.testing.assert_allclose(
            nodes.loc[labels, "va_exports"], complex_flows.sum(axis=1), rtol=1e-12
        )
        largest = np.array(labels)[complex_flows.argmax(axis=0)]
        links = charts.network_links(ctx, year)
        for importer, supplier in zip(links["importer"], links["exporter"], strict=True):
            assert largest[labels.index(importer)] == supplier
        degree = pd.Series(largest).value_counts()
        for code in labels:
            assert nodes.loc[code, "out_degree"] == degree.get(code, 0)
            assert bool(nodes.loc[code, "hub"]) == (degree.get(code, 0) >= 3)
        network = va_network(model)
        hubs = network[
            (network["type"] == "complex")
            & (network["indicator"] == "supply_hub")
            & (network["value"] > 0)
        ]["exporter"]
        assert set(hubs) == set(nodes.index[nodes["hub"]])


def test_dependence_shares_come_from_the_input_table(ctx, all_charts, wiod_loader):
    data = all_charts["dependence"].data
    model = wiod_loader(2011)
    s = model.country_position(FOCUS)
    G, N = model.G, model.N
    inputs = model.Z.reshape(G, N, G, N)[:, :, s, :].sum(axis=1)  # (supplier, user sector)
    used = inputs.sum(axis=0) > 0  # sectors without inputs (zero output) have no share
    foreign_share = 1.0 - inputs[s, used] / inputs.sum(axis=0)[used]
    wide = data.pivot(index="sector", columns="supplier", values="share").loc[list(model.sectors)]
    assert wide.loc[~used, "total"].isna().all()
    wide = wide.loc[used]
    inputs = inputs[:, used]
    np.testing.assert_allclose(wide["total"], foreign_share, rtol=1e-12)
    parts = wide.drop(columns="total").sum(axis=1)
    np.testing.assert_allclose(parts, wide["total"], rtol=1e-12)
    jpn = model.country_position("JPN")
    if "JPN" in wide.columns:
        np.testing.assert_allclose(wide["JPN"], inputs[jpn] / inputs.sum(axis=0), rtol=1e-12)
    expected = foreign_dependence(model, levels=("country_sector",))
    expected = expected[
        (expected["country"] == FOCUS)
        & (expected["source"] == "ALL_FOREIGN")
        & (expected["indicator"] == "imported_input_share")
    ].set_index("sector")["value"]
    np.testing.assert_allclose(wide["total"], expected.loc[wide.index], rtol=1e-12)


def test_every_chart_is_bilingual_with_matching_tables(all_charts):
    for chart in all_charts.values():
        assert set(chart.figures) == set(names.LANGUAGES)
        assert chart.tables["en"].shape == chart.tables["zh"].shape
        assert chart.notes["en"] and chart.notes["zh"] and chart.notes["en"] != chart.notes["zh"]
        assert any("\u4e00" <= ch <= "\u9fff" for ch in chart.titles["zh"])
        assert "WIOD" in chart.notes["en"]  # source named in every note


def test_summary_text_quotes_the_table(ctx):
    row = ctx.country.set_index(["country", "year"]).loc[(FOCUS, 2011)]
    english = " ".join(summary_paragraphs(ctx, "en"))
    chinese = " ".join(summary_paragraphs(ctx, "zh"))
    assert f"{100 * row['dva_share']:.1f}%" in english
    assert f"{100 * row['gvc_forward']:.1f}%" in chinese
    assert "China" in english and "中国" in chinese


def test_zh_figures_show_no_iso3_codes(ctx, all_charts):
    """In Chinese every economy on a chart (axis categories, legend, node labels) is named in
    Chinese; a raw ISO3 code such as 'CHN' on a zh chart is an untranslated label."""
    codes = set(ctx.country["country"])
    for key, chart in all_charts.items():
        shown: list[str] = []
        for trace in chart.figures["zh"].data:
            shown.append(str(trace.name or ""))
            for attr in ("text", "x", "y"):
                values = getattr(trace, attr, None)
                if values is not None and not isinstance(values, str):
                    shown += [
                        v for v in np.ravel(np.asarray(values, dtype=object)) if isinstance(v, str)
                    ]
        assert not codes & set(shown), (key, sorted(codes & set(shown))[:5])
        english = {str(t.name or "") for t in chart.figures["en"].data}
        assert not english & {"中国"}, key


def test_single_year_summary_does_not_compare_a_year_with_itself(wiod_dir):
    one, _ = load_context("wiod2013", wiod_dir, [2011], FOCUS, cache_dir=None)
    row = one.country.set_index(["country", "year"]).loc[(FOCUS, 2011)]
    for lang in names.LANGUAGES:
        text = " ".join(summary_paragraphs(one, lang))
        assert text.count("2011") == 7, text  # each sentence names its year once
        assert "(in 2011" not in text and "（2011年分别为" not in text and "（2011年为" not in text
    english = " ".join(summary_paragraphs(one, "en"))
    assert f"{100 * row['dva_share']:.1f}%" in english


def test_summary_names_the_largest_real_region_not_row(ctx):
    """RoW is the largest foreign 'region' of China's exports in WIOD 2011, but a residual is
    never ranked: the sentence names the largest real region, with its share from the chart,
    and quotes RoW apart, saying it is not ranked."""
    origin = charts.va_origin_data(ctx)
    last = origin[(origin["year"] == 2011) & ~origin["origin"].isin(["domestic", "row"])]
    top = last.sort_values("share", ascending=False).iloc[0]
    english = " ".join(summary_paragraphs(ctx, "en"))
    chinese = " ".join(summary_paragraphs(ctx, "zh"))
    assert names.text(f"region.{top['origin']}", "en") in english
    assert f"{100 * top['share']:.1f}%" in english
    row_share = origin[(origin["year"] == 2011) & (origin["origin"] == "row")]["share"].sum()
    assert row_share > top["share"]  # the case of the issue: RoW would have been "largest"
    sentence = next(p for p in summary_paragraphs(ctx, "en") if "largest foreign source" in p)
    quoted = "economies the table does not show one by one — contributed"
    assert f"{quoted} {100 * row_share:.1f}%" in sentence
    assert "not ranked" in sentence
    assert "不参与排序" in chinese


def test_residual_region_is_never_ranked_but_shown_apart(ctx, all_charts):
    dependence = all_charts["dependence"].data
    suppliers = [s for s in dependence["supplier"].unique() if s not in ("other", "total")]
    assert suppliers[-1] == "ROW" and len(suppliers) == 6  # five real economies, then RoW
    origin = all_charts["va_origin"].figures["en"]
    assert origin.data[-1].name == "Rest of the world (residual)"
    assert "ROW" not in charts.linkage_partners(ctx)


def test_notes_axes_and_numbers_read_on_their_own(ctx, all_charts):
    for key, chart in all_charts.items():
        for lang in names.LANGUAGES:
            assert "METHODS" not in chart.notes[lang] and "§" not in chart.notes[lang], key
            layout = chart.figures[lang].layout
            if key == "network":  # a graph: units in the legend line under the circles
                assert any(
                    "USD million" in (a.text or "") or "百万美元" in (a.text or "")
                    for a in layout.annotations
                )
                continue
            assert layout.xaxis.title.text and layout.yaxis.title.text, (key, lang)
    assert names.money(2_084_965.0, "en") == "USD 2.08 tn"
    assert names.money(2_084_965.0, "zh") == "2.08万亿美元"
    assert names.money(845_300.0, "en") == "USD 845.3 bn"
    assert names.money(845_300.0, "zh") == "8,453亿美元"
    english = " ".join(summary_paragraphs(ctx, "en"))
    exports = ctx.country.set_index(["country", "year"]).loc[(FOCUS, 2011), "exports"]
    assert f"USD {exports / 1e6:.2f} tn" in english
