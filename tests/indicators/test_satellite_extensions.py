"""The satellite set on a table's own satellite accounts (model.extensions): footprints from
the published WIOD 2013 air emissions and from a pymrio system, against pymrio's D_cba_reg /
D_pba_reg (which add the direct final-demand use F_Y), through the Python API and the CLI."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import chainatlas
from chainatlas.core.model import MRIOModel
from chainatlas.errors import ChainAtlasError
from chainatlas.indicators.trends import satellite_footprint
from conftest import require_shared

pymrio = pytest.importorskip("pymrio")
WIOD_MOCK = "data/format_samples/pymrio_mock_mrios/wiod_mock"


def _values(frame: pd.DataFrame, indicator: str, countries) -> np.ndarray:
    rows = frame.set_index(["country", "indicator"])["value"]
    return np.array([rows[(c, indicator)] for c in countries])


def test_footprint_from_extension_equals_pymrio():
    io = pymrio.load_test()
    io.calc_all()
    model = MRIOModel.from_pymrio(io)
    k = 0
    stressor = model.extension("Emissions").stressors[k]
    frame = satellite_footprint(model, f"Emissions:{stressor}", name="em")
    regions = list(model.countries)
    cba_direct = _values(frame, "em_cba_with_direct", regions)
    np.testing.assert_allclose(cba_direct, io.emissions.D_cba_reg.iloc[k].to_numpy(), rtol=1e-10)
    direct = _values(frame, "em_direct_final_demand", regions)
    pba = _values(frame, "em_pba", regions)
    np.testing.assert_allclose(pba + direct, io.emissions.D_pba_reg.iloc[k].to_numpy(),
                               rtol=1e-10)  # fmt: skip
    # Σ CBA = Σ PBA (METHODS §15, without direct household emissions)
    np.testing.assert_allclose(_values(frame, "em_cba", ["WORLD"]),
                               _values(frame, "em_pba", ["WORLD"]), rtol=1e-12)  # fmt: skip


def test_wiod_air_emissions_panel_cli(tmp_path):
    from chainatlas.interfaces.cli.main import app

    folder = require_shared(WIOD_MOCK)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        ["indicators", "--source", "wiod2013-excel", "--path", str(folder), "--year", "2009",
         "--set", "satellite", "--satellite", "Air Emission Accounts:CO2",
         "--satellite-name", "co2", "--groups", "", "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    frame = pd.read_parquet(out / "satellite.parquet")
    model = chainatlas.load("wiod2013-excel", folder, 2009)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        io = pymrio.parse_wiod(folder, year=2009)
    # pymrio's parse takes x = Z1 + Y1; ours keeps the published output column, so compare
    # the parts that do not depend on x: PBA and the direct household emissions
    np.testing.assert_allclose(
        _values(frame, "co2_pba", model.countries),
        io.AIR.F.loc["CO2"].groupby(level="region", sort=False).sum().to_numpy(), rtol=1e-12,
    )  # fmt: skip
    np.testing.assert_allclose(
        _values(frame, "co2_direct_final_demand", model.countries),
        io.AIR.F_Y.loc["CO2"].groupby(level="region", sort=False).sum().to_numpy(), rtol=1e-12,
    )  # fmt: skip
    # unknown stressor: one line, exit 2
    result = CliRunner().invoke(
        app,
        ["indicators", "--source", "wiod2013-excel", "--path", str(folder), "--year", "2009",
         "--set", "satellite", "--satellite", "Air Emission Accounts:CO3", "--groups", "",
         "--out", str(tmp_path / "o2")],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "has no stressor 'CO3'" in result.output


def test_spec_on_table_without_extensions(wiod2011):
    with pytest.raises(ChainAtlasError, match="no satellite accounts"):
        satellite_footprint(wiod2011, "Air:CO2")
