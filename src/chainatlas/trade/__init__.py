"""Product-level trade: DuckDB/Parquet store, HS concordances and supply-chain indicators.

See docs/trade.md. Typical use::

    from chainatlas.trade import TradeStore, vulnerability_screen
    with TradeStore("trade.duckdb") as store:
        store.load("baci", "BACI_HS12_V202301.zip", concordances="…/concordances")
        result = vulnerability_screen(store, "CHN", [2017, 2018])
"""

from chainatlas.trade.concordances import (
    Concordances,
    end_use_of_bec,
    load_concordances,
    normalise_vintage,
)
from chainatlas.trade.indicators import (
    CENTRALITY_VARIANTS,
    VulnerabilityResult,
    composite_vulnerability,
    end_use_composition,
    export_centrality,
    exporter_shares,
    importer_hhi,
    political_risk,
    read_distance_table,
    strategic_dependency_screen,
    topk_counts,
    vulnerability_screen,
)
from chainatlas.trade.interdependence import (
    composite_interdependence,
    grubel_lloyd,
    grubel_lloyd_aggregate,
    grubel_lloyd_from_store,
    read_series,
)
from chainatlas.trade.store import LoadReport, TradeStore, UnknownCodesError, open_store

__all__ = [
    "CENTRALITY_VARIANTS",
    "Concordances",
    "LoadReport",
    "TradeStore",
    "UnknownCodesError",
    "VulnerabilityResult",
    "composite_interdependence",
    "composite_vulnerability",
    "end_use_composition",
    "end_use_of_bec",
    "export_centrality",
    "exporter_shares",
    "grubel_lloyd",
    "grubel_lloyd_aggregate",
    "grubel_lloyd_from_store",
    "importer_hhi",
    "load_concordances",
    "normalise_vintage",
    "open_store",
    "political_risk",
    "read_distance_table",
    "read_series",
    "strategic_dependency_screen",
    "topk_counts",
    "vulnerability_screen",
]
