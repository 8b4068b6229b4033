"""Bilingual (English/Chinese) self-contained HTML reports on a focus economy.

``build_report(source, path, years, focus, lang, out, trade_db=None, scenario=None)`` writes
one HTML file with plotly.js inlined (works offline); ``build_profile`` a one- or two-page
country profile; see docs/reports.md.
"""

from __future__ import annotations

from chainatlas.reporting.build import build_report
from chainatlas.reporting.profile import build_profile

__all__ = ["build_profile", "build_report"]
