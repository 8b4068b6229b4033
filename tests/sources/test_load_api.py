"""`chainatlas.load` as a user calls it: year as text, misspelt loader options."""

from __future__ import annotations

import numpy as np
import pytest

import chainatlas
from chainatlas.errors import ChainAtlasError


def test_year_given_as_text_loads_that_year(wiod_dir, wiod2011):
    """'2011' used to fail with 'unknown year 2011; available: … 2011'."""
    model = chainatlas.load("wiod2013", wiod_dir, "2011")
    assert model.year == 2011
    np.testing.assert_array_equal(model.Z, wiod2011.Z)
    with pytest.raises(ChainAtlasError, match=r"year must be a whole number such as 2011"):
        chainatlas.load("wiod2013", wiod_dir, "twenty-eleven")


def test_misspelt_option_is_named_with_the_accepted_ones(wiod_dir):
    with pytest.raises(ChainAtlasError) as info:
        chainatlas.load("wiod2013", wiod_dir, 2011, rebalanse=False)
    assert str(info.value) == (
        "unknown option(s) rebalanse for source wiod2013; it takes rebalance"
    )
    with pytest.raises(ChainAtlasError, match=r"for source generic; it takes rebalance$"):
        chainatlas.load("generic", wiod_dir, 2011, engine="calamine")
    with pytest.raises(ChainAtlasError, match=r"it takes rebalance, sheet, blank_as_zero, engine$"):
        chainatlas.load("wiod2016", wiod_dir, 2011, economies=62)


def test_documented_option_is_accepted(wiod_dir):
    raw = chainatlas.load("wiod2013", wiod_dir, 2011, rebalance=False)
    assert any(note.startswith("not balanced") for note in raw.validation.notes)
