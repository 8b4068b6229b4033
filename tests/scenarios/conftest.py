"""Fixtures for scenario tests."""

from __future__ import annotations

import pytest
from scenario_helpers import small_model


@pytest.fixture(scope="session")
def small():
    return small_model()
