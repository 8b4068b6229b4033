"""Split economies kept in the computation (METHODS §1): exvatools' expected values.

exvatools 0.9.0 ships a fictitious ICIO-type table (ESP FRA MEX USA CHN ROW, 3 sectors, MEX
and CHN rows empty, MX1 MX2 CN1 CN2 appended, FD CONS/INVST) and tests its WWZ, Borin–Mancini
source/sink and OECD decompositions on it, computed on the split table, with values printed to
2 decimals (format_samples/exvatools_iciotest/expected_tests.json). Here they are reproduced
through the ICIO loader (``chainatlas.load("oecd-icio", …)``) and through the CLI.

exvatools' aggregates, in our terms (docs/decompositions.md):

* wwz: VAX = DVA_FIN + DVA_INT + DVA_INTrexI1 + DVA_INTrexF + DVA_INTrexI2, REF = RDV_FIN +
  RDV_FIN2 + RDV_INT, DVA = VAX + REF, DDC = DDC_FIN + DDC_INT, DC = DVA + DDC, FVA = MVA_FIN +
  OVA_FIN + MVA_INT + OVA_INT, FDC = MDC + ODC, FC = FVA + FDC;
* bm_src / bm_snk: our bm-source / bm-sink terms of the same names; GVC, GVCB, GVCF from
  ``bm_participation``;
* oecd: DC = EXGR_DVA, DVA = EXGR_DDC + EXGR_IDC (v_s L_ss e), DDC = EXGR_RIM, FC = GVCB =
  EXGR_FVA, VAX = Johnson–Noguera VAX (``tiva_indicators``), REF = DVA − VAX, GVCF =
  EXGR_DVAFX (s's VA in partners' exports), GVC = GVCB + GVCF.

An exporter group (NAFTA = MEX, USA, CAN; CAN absent) is one economy in exvatools: flows
between members are domestic — ``model.merge_economies``. "all" with a row filter sums the
per-country results of the filtered exporters.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import chainatlas
from chainatlas.decompositions import decomposition
from chainatlas.decompositions.borin_mancini import bm_participation
from chainatlas.decompositions.tiva import tiva_indicators
from chainatlas.interfaces.cli.main import app, run
from conftest import require_shared

ICIOTEST = "data/format_samples/exvatools_iciotest"
WWZ_GROUPS = {
    "VAX": ("DVA_FIN", "DVA_INT", "DVA_INTrexI1", "DVA_INTrexF", "DVA_INTrexI2"),
    "REF": ("RDV_FIN", "RDV_FIN2", "RDV_INT"),
    "DDC": ("DDC_FIN", "DDC_INT"),
    "FVA": ("MVA_FIN", "OVA_FIN", "MVA_INT", "OVA_INT"),
    "FDC": ("MDC", "ODC"),
}
METHOD = {"wwz": "wwz", "bm_src": "bm-source", "bm_snk": "bm-sink", "oecd": "tiva"}


def _cases():
    data = json.loads(require_shared(f"{ICIOTEST}/expected_tests.json").read_text())
    return [c for c in data["cases"] if c["method"] in METHOD]


def _wwz_standard(country: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    out = {name: sum(country[t] for t in terms) for name, terms in WWZ_GROUPS.items()}
    out["DVA"] = out["VAX"] + out["REF"]
    out["DC"] = out["DVA"] + out["DDC"]
    out["FC"] = out["FVA"] + out["FDC"]
    return out


def _standard(model, method: str) -> dict[str, np.ndarray]:
    """exvatools' standard aggregates by exporting economy, (G,) each."""
    result = decomposition(model, METHOD[method])
    country = {t: result.aggregate(t, "country") for t in result.terms}
    exports = model.exports.sum(axis=1).reshape(model.G, -1).sum(axis=1)
    out = {"EXGR": exports}
    if method == "wwz":
        out.update(_wwz_standard(country))
    elif method in ("bm_src", "bm_snk"):
        out.update(country)
        if method == "bm_src":
            gvc = bm_participation(result)
            out.update({t: gvc.aggregate(t, "country") for t in gvc.terms})
    else:
        totals = tiva_indicators(model)
        totals = totals[totals["partner"].isna()].pivot(
            index="exporter", columns="term", values="value"
        )
        totals = totals.loc[list(model.countries)]
        out["DC"] = country["EXGR_DVA"]
        out["DVA"] = country["EXGR_DDC"] + country["EXGR_IDC"]
        out["DDC"] = country["EXGR_RIM"]
        out["FC"] = out["GVCB"] = country["EXGR_FVA"]
        out["VAX"] = totals["VAX"].to_numpy()
        out["REF"] = out["DVA"] - out["VAX"]
        out["GVCF"] = totals["EXGR_DVAFX"].to_numpy()
        out["GVC"] = out["GVCB"] + out["GVCF"]
    return out


@pytest.fixture(scope="module")
def split_model():
    return chainatlas.load("oecd-icio", require_shared(f"{ICIOTEST}/iciotest_data.csv"))


def test_the_test_table_is_read_split(split_model):
    assert split_model.countries == ("ESP", "FRA", "MEX", "USA", "CHN", "ROW")
    assert split_model.parts()[2] == ("MX1", "MX2") and split_model.parts()[4] == ("CN1", "CN2")
    assert split_model.year is None and split_model.fd_categories == ("CONS", "INVST")


EXPORTERS = (("ESP", None), ("CHN", None), ("NAFTA", None))
ROW_FILTERS = (("all", "ESP"), ("all", "CHN"), ("all", "MEX|USA"))


@pytest.mark.parametrize("method", list(METHOD))
@pytest.mark.parametrize(("exporter", "rows_grep"), EXPORTERS + ROW_FILTERS)
def test_exvatools_expected_values_through_the_loader(split_model, method, exporter, rows_grep):
    found = [
        c
        for c in _cases()
        if (c["method"], c["exporter"], c["rows_grep"]) == (method, exporter, rows_grep)
    ]
    assert len(found) == 1
    case = found[0]
    model = split_model
    if case["exporter"] == "NAFTA":
        model = split_model.merge_economies({"NAFTA": ("MEX", "USA", "CAN")})
    values = _standard(model, case["method"])
    if case["exporter"] == "all":
        wanted = case["rows_grep"].split("|")
        rows = [i for i, c in enumerate(model.countries) if c in wanted]
    else:
        rows = [model.countries.index(case["exporter"])]
    for name, expected in case["values"].items():
        got = float(values[name][rows].sum())
        # printed to 2 decimals: equal after rounding (half a unit in the last place)
        assert abs(got - expected) <= 0.005 + 1e-9, (name, got, expected)


def test_merging_first_moves_china(split_model):
    """The merge option is explicit and gives different (overstated) Chinese DVA."""
    path = require_shared(f"{ICIOTEST}/iciotest_data.csv")
    merged = chainatlas.load("oecd-icio", path, split="merge")
    kept = _standard(split_model, "wwz")
    summed = _standard(merged, "wwz")
    chn = split_model.country_position("CHN")
    assert kept["DVA"][chn] == pytest.approx(3469.40, abs=0.005)
    assert summed["DVA"][chn] / kept["DVA"][chn] - 1 == pytest.approx(0.0013, abs=0.0005)
    # gross exports are the same either way (CN1 <-> CN2 flows are domestic in both)
    np.testing.assert_allclose(summed["EXGR"], kept["EXGR"], rtol=1e-12)


def test_split_terms_are_exact_zero_on_padding_and_sum_to_exports(split_model):
    d = decomposition(split_model, "wwz")
    assert d.report_sectors == ("01T09", "10T39", "41T98")  # industries, parts summed
    total = sum(d.term_rows(t) for t in d.terms)
    exports = split_model.layout.collapse_rows(split_model.exports)
    np.testing.assert_allclose(total, exports, rtol=1e-12, atol=1e-9)
    frame = d.to_frame("sector")
    assert set(frame["exporter"]) == set(split_model.countries)


def test_exvatools_values_through_the_cli(tmp_path, capsys):
    """`chainatlas decompose --source oecd-icio` on the yearless test table (year given)."""
    path = require_shared(f"{ICIOTEST}/iciotest_data.csv")
    expected = {
        (c["exporter"], name): v
        for c in _cases()
        if c["method"] == "wwz" and c["exporter"] in ("ESP", "CHN")
        for name, v in c["values"].items()
    }
    out = tmp_path / "wwz.csv"
    result = CliRunner().invoke(
        app,
        [
            *("decompose", "--source", "oecd-icio", "--path", str(path), "--year", "2020"),
            *("--method", "wwz", "--level", "country", "--out", str(out)),
        ],
    )
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out)
    assert set(frame["year"]) == {2020}
    wide = frame.pivot(index="exporter", columns="term", values="value")
    for exporter in ("ESP", "CHN"):
        standard = _wwz_standard({t: np.array([wide.loc[exporter, t]]) for t in wide.columns})
        for name in ("DVA", "VAX", "REF", "DDC", "FVA", "FDC", "DC", "FC"):
            assert abs(standard[name][0] - expected[(exporter, name)]) <= 0.005 + 1e-9
    # the merged variant is a source name of its own; a bad file is one line, exit 2
    merged = CliRunner().invoke(
        app,
        [
            *("decompose", "--source", "oecd-icio-merged", "--path", str(path)),
            *("--year", "2020", "--method", "wwz", "--out", str(tmp_path / "merged.csv")),
        ],
    )
    assert merged.exit_code == 0, merged.output
    bad = tmp_path / "cut.csv"
    bad.write_text("\n".join(path.read_text().splitlines()[:10]) + "\n")
    with pytest.raises(SystemExit) as exit_info:
        run(
            [
                *("decompose", "--source", "oecd-icio", "--path", str(bad), "--year", "2020"),
                *("--method", "wwz", "--out", str(tmp_path / "bad.csv")),
            ]
        )
    assert exit_info.value.code == 2
    message = " ".join(capsys.readouterr().err.split())
    assert "cut.csv" in message and "cut file" in message and "Traceback" not in message
    assert not (tmp_path / "bad.csv").exists()


def test_batched_wwz_on_split_table_equals_dense(split_model):
    """The LU-solve provider (memory-limited runs) works on the padded view too."""
    from chainatlas.execution.wwz_batched import wwz_batched

    dense = decomposition(split_model, "wwz")
    batched = wwz_batched(split_model, exporters_per_batch=2)
    assert batched.report_sectors == dense.report_sectors
    for term in dense.terms:
        np.testing.assert_allclose(
            batched.aggregate(term, "full"), dense.aggregate(term, "full"), rtol=1e-10, atol=1e-10
        )
