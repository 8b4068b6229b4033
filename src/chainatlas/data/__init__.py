"""Packaged reference data (labels, code lists, country groups) read with importlib.resources."""

from __future__ import annotations

from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


def read_csv(name: str, **kwargs) -> pd.DataFrame:
    """Read a CSV shipped inside chainatlas/data."""
    import pandas as pd

    with resources.files(__package__).joinpath(name).open("rb") as handle:
        return pd.read_csv(handle, **kwargs)


def path_of(name: str):
    """A Traversable for a packaged data file (use .read_text() / .open())."""
    return resources.files(__package__).joinpath(name)
