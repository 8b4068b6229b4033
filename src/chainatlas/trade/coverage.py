"""What a trade store covers, and which of its codes are not countries.

Product-level screens compare an importer's suppliers with *world* exports: run on a store
that holds a few exporters, a "share of world exports" is a share of those few and an EU
dependency screen finds every product dependent. The screens therefore state the store's
coverage (exporters, importers, products, value) and warn loudly when it is not world-wide.

Pseudo-countries and residual regions — Atlas ``ANS`` (areas not specified), BACI codes
without an ISO3 (``X837`` bunkers, ``X899`` areas nes, …), UN Comtrade's nes areas (``_X``,
``E19``, ``R4`` …), ``ROW``/``WLD`` — stay in totals (they are part of world trade) but are
never ranked as exporters. "Other Asia, nes" (BACI 490 -> ``X490``, Comtrade ``S19``) is
Taiwan's trade and is kept as an economy.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chainatlas.trade.store import TradeStore

PSEUDO_CODES = frozenset({"ANS", "ROW", "WLD", "W00", "NES", "ZZZ", "XXX", "UNS", "OTH"})
TAIWAN_CODES = frozenset({"X490", "S19"})  # "Other Asia, nes": an economy, not a residual
_PSEUDO_PATTERN = re.compile(r"^(?:_.*|X\d{3}|[A-Z]\d{1,2}|\?.*)$")
# Below this many exporters a store is an extract, not the world (BACI has ~220).
WORLD_MIN_EXPORTERS = 150


def is_pseudo_country(code: str) -> bool:
    """True for residual regions and areas-not-specified codes (never ranked)."""
    text = str(code).strip().upper()
    if text in TAIWAN_CODES:
        return False
    return text in PSEUDO_CODES or bool(_PSEUDO_PATTERN.match(text))


def pseudo_sql(column: str) -> str:
    """SQL predicate: ``column`` holds a pseudo-country code."""
    listed = ", ".join(f"'{c}'" for c in sorted(PSEUDO_CODES))
    taiwan = ", ".join(f"'{c}'" for c in sorted(TAIWAN_CODES))
    return (
        f"(upper({column}) NOT IN ({taiwan}) AND (upper({column}) IN ({listed}) OR "
        f"regexp_full_match(upper({column}), '(_.*|X[0-9]{{3}}|[A-Z][0-9]{{1,2}}|[?].*)')))"
    )


@dataclass(frozen=True)
class Coverage:
    vintage: str
    years: tuple[int, ...]
    exporters: int
    importers: int
    products: int
    value: float
    pseudo_share: float  # share of the value exported by pseudo-countries

    @property
    def world_wide(self) -> bool:
        return self.exporters >= WORLD_MIN_EXPORTERS

    def summary(self) -> str:
        years = ", ".join(map(str, self.years))
        text = (
            f"store coverage {self.vintage} {years}: {self.exporters:,} exporter(s), "
            f"{self.importers:,} importer(s), {self.products:,} product(s), "
            f"{self.value / 1e9:,.3f} bn USD"
        )
        if self.pseudo_share:
            text += f" ({self.pseudo_share:.1%} from unspecified areas, not ranked)"
        return text

    def warning(self) -> str | None:
        """A loud warning when world-level shares are computed on an extract."""
        if self.world_wide:
            return None
        return (
            f"WARNING: the store holds only {self.exporters:,} exporter(s) "
            f"(a world-wide store has ~200): shares of world exports, supplier concentration "
            "and dependency counts describe this extract, not world trade"
        )


def store_coverage(
    store: TradeStore, vintage: str | None = None, years: Sequence[int] | None = None
) -> Coverage:
    vintage = store.resolve_vintage(vintage)
    chosen = tuple(sorted(int(y) for y in (years or store.years(vintage))))
    year_list = ", ".join(map(str, chosen)) or "NULL"
    row = store.con.execute(
        f"""
        SELECT count(DISTINCT exporter) FILTER (WHERE NOT {pseudo_sql("exporter")}),
               count(DISTINCT importer) FILTER (WHERE NOT {pseudo_sql("importer")}),
               count(DISTINCT hs6), coalesce(sum(value), 0),
               coalesce(sum(value) FILTER (WHERE {pseudo_sql("exporter")}), 0)
        FROM flows WHERE vintage = ? AND year IN ({year_list})""",
        [vintage],
    ).fetchone()
    exporters, importers, products, value, pseudo = row
    return Coverage(
        vintage=vintage,
        years=chosen,
        exporters=int(exporters),
        importers=int(importers),
        products=int(products),
        value=float(value),
        pseudo_share=float(pseudo) / float(value) if value else 0.0,
    )


__all__ = ["Coverage", "is_pseudo_country", "pseudo_sql", "store_coverage"]
