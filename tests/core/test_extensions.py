"""Satellite accounts as named extensions: shape checks, lookup by name/stressor, errors."""

from __future__ import annotations

import numpy as np
import pytest

from chainatlas.core.extensions import Extension, resolve_stressor
from chainatlas.core.model import MRIOModel
from chainatlas.errors import ValidationError


def _model() -> MRIOModel:
    rng = np.random.default_rng(0)
    Z = rng.uniform(1, 5, (4, 4))
    Y = rng.uniform(5, 9, (4, 4))
    return MRIOModel.from_arrays(Z, Y, countries=["A", "B"], sectors=["s", "t"],
                                 fd_categories=["HH", "INV"])  # fmt: skip


def test_build_and_attach():
    model = _model()
    air = Extension.build("air", np.ones((2, 4)), ["CO2", "CH4"], ["Gg", "t"],
                          F_Y=np.zeros((2, 4)))  # fmt: skip
    land = Extension.build("land", np.full((1, 4), 2.0), ["Arable"], "1000 ha")
    with_ext = model.with_extensions([air, land])
    assert model.extensions == () and len(with_ext.extensions) == 2
    assert with_ext.extension("AIR").unit("ch4") == "t"
    np.testing.assert_array_equal(with_ext.Z, model.Z)
    ext, row = resolve_stressor(with_ext.extensions, "Arable")
    assert ext.name == "land" and row == 0
    ext, row = resolve_stressor(with_ext.extensions, "air:CH4")
    assert (ext.name, row) == ("air", 1)
    assert not ext.F.flags.writeable


def test_errors_name_the_problem():
    model = _model()
    with pytest.raises(ValidationError, match=r"F has shape \(2, 4\), expected \(3, GN\)"):
        Extension.build("x", np.ones((2, 4)), ["a", "b", "c"], "kg")
    with pytest.raises(ValidationError, match="duplicate stressor 'a'"):
        Extension.build("x", np.ones((2, 4)), ["a", "a"], "kg")
    bad = np.ones((2, 4))
    bad[1, 2] = np.nan
    with pytest.raises(ValidationError, match=r"NaN/inf .* stressor 'b', column 3"):
        Extension.build("x", bad, ["a", "b"], "kg")
    wrong = Extension.build("x", np.ones((1, 6)), ["a"], "kg")
    with pytest.raises(ValidationError, match="F has 6 columns, the table has 4"):
        model.with_extensions([wrong])
    one = Extension.build("one", np.ones((1, 4)), ["CO2"], "kg")
    two = Extension.build("two", np.ones((1, 4)), ["CO2"], "kg")
    with pytest.raises(ValidationError, match="duplicate extension names"):
        model.with_extensions([one, one])
    both = model.with_extensions([one, two])
    with pytest.raises(ValidationError, match=r"in several extensions .*EXTENSION:STRESSOR"):
        resolve_stressor(both.extensions, "CO2")
    with pytest.raises(ValidationError, match="no extension 'three'; the table has: one, two"):
        both.extension("three")
    with pytest.raises(ValidationError, match="has no stressor 'N2O'; it has 'CO2'"):
        resolve_stressor(both.extensions, "one:N2O")
