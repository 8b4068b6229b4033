"""Shared CLI option parsing. The helpers live on the ground floor (:mod:`chainatlas.util`)
so that indicators, scenarios and reporting import them without reaching into interfaces/."""

from __future__ import annotations

from chainatlas.util.files import atomic_write, write_table
from chainatlas.util.years import parse_years

__all__ = ["atomic_write", "parse_years", "write_table"]
