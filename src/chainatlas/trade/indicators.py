"""Product-level supply-chain indicators (METHODS §10), computed in DuckDB.

All heavy aggregation runs as SQL over the ``flows`` view; only per-product (or per
product x country) results come back as pandas DataFrames.

Notation: X_{i,p} exports of product p by i to the world, M_{c,s,p} imports of c from s,
sigma_i = X_{i,p} / sum_i X_{i,p}.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from chainatlas.errors import ChainAtlasError, ValidationError
from chainatlas.trade.coverage import is_pseudo_country, pseudo_sql, store_coverage
from chainatlas.trade.network import hub_max_arrays, pagerank_max_arrays
from chainatlas.trade.store import TradeStore

# A year, a list of years, or None (every loaded year of the vintage).
Years = Sequence[int] | int | None

CENTRALITY_VARIANTS = ("freeman", "hhi", "hits", "pagerank")


# --------------------------------------------------------------------------------------------
# helpers


def _years(store: TradeStore, vintage: str, years: Sequence[int] | int | None) -> list[int]:
    available = store.years(vintage)
    if years is None:
        return available
    chosen = [int(years)] if isinstance(years, int | np.integer) else [int(y) for y in years]
    missing = sorted(set(chosen) - set(available))
    if missing:
        raise ChainAtlasError(
            f"no {vintage} flows for year(s) {', '.join(map(str, missing))}; loaded: "
            f"{', '.join(map(str, available))}",
            path=str(store.path),
        )
    return sorted(set(chosen))


def _universe_sql(universe) -> str:
    """SQL predicate on products alias ``pr`` ('all', an end use or a list of end uses) or on
    the flows alias ``f`` (an :class:`~chainatlas.trade.end_use.EndUseUniverse`)."""
    from chainatlas.trade.end_use import EndUseUniverse

    if isinstance(universe, EndUseUniverse):
        return f"f.hs6 IN {_in_list(universe.codes)}"
    if universe == "all":
        return "true"
    uses = [universe] if isinstance(universe, str) else list(universe)
    known = {"intermediate", "consumption", "capital", "mixed", "nes", "unclassified"}
    bad = [u for u in uses if u not in known]
    if bad:
        raise ChainAtlasError(f"unknown end use(s) {bad}; use 'all' or some of {sorted(known)}")
    return "pr.end_use IN (" + ", ".join(f"'{u}'" for u in uses) + ")"


def _base(
    store: TradeStore, vintage: str | None, years: Years, universe: str | Sequence[str]
) -> tuple[str, str, list[int]]:
    """(SQL relation of the selected flows with hs2/end_use, vintage, years)."""
    from chainatlas.trade.end_use import EndUseUniverse

    vintage = store.resolve_vintage(vintage)
    if isinstance(universe, EndUseUniverse) and universe.vintage != vintage:
        raise ChainAtlasError(
            f"the product universe ({universe.concordance}) is for {universe.vintage}, the "
            f"flows are {vintage}; build it with end_use_universe(..., vintage={vintage!r})"
        )
    chosen = _years(store, vintage, years)
    relation = f"""(
        SELECT f.year, f.exporter, f.importer, f.hs6, f.value, pr.hs2, pr.end_use
        FROM flows f
        LEFT JOIN products pr ON pr.vintage = f.vintage AND pr.hs6 = f.hs6
        WHERE f.vintage = '{vintage}' AND f.year IN ({", ".join(map(str, chosen))})
          AND f.value > 0 AND {_universe_sql(universe)}
    )"""
    return relation, vintage, chosen


def _members(
    store: TradeStore, name: str | Sequence[str], year: int | None = None
) -> tuple[str, list[str]]:
    """A country code, a group name (chainatlas.core.groups) or an explicit member list."""
    if not isinstance(name, str):
        members = [str(m).upper() for m in name]
        return "+".join(members), members
    code = name.strip().upper()
    countries = store.countries()
    if code in countries:
        return code, [code]
    try:
        from chainatlas.core.groups import resolve_group
    except ImportError:  # pragma: no cover - groups module is part of core
        raise ChainAtlasError(f"unknown country {name!r}") from None
    group = resolve_group(name, countries, year=year)
    if not group.present:
        raise ChainAtlasError(f"no member of {group.name} has trade flows in the database")
    return group.name, list(group.present)


def _country(code: str, role: str) -> str:
    """``code`` upper-cased; an unspecified area (ANS, X837, …) is refused: it has no
    imports or exports of its own to screen."""
    text = str(code).strip().upper()
    if is_pseudo_country(text):
        raise ChainAtlasError(
            f"{role} {text} is an unspecified area or residual region, not a country: "
            "indicators do not screen it"
        )
    return text


def _in_list(codes: Sequence[str]) -> str:
    clean = [c.replace("'", "''") for c in codes]
    if not clean:
        return "(NULL)"  # matches nothing (an empty IN list is a SQL error)
    return "(" + ", ".join(f"'{c}'" for c in clean) + ")"


# --------------------------------------------------------------------------------------------
# §10.2 exporter shares, ranks and top-k counts


def exporter_shares(
    store: TradeStore,
    years: Years = None,
    *,
    vintage: str | None = None,
    pooled: bool = False,
    universe: str | Sequence[str] = "all",
    products: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Exporter shares and ranks per product (and year, unless ``pooled``).

    Columns: year (0 when pooled), hs6, exporter, value, share, rank (1 = largest; ties share
    the best rank), n_exporters. Shares of a product sum to 1 over countries: unspecified
    areas (ANS, areas nes, …) are not exporters (``attrs['unspecified']`` gives their share).
    """
    base, vintage, _chosen = _base(store, vintage, years, universe)
    year_expr = "0" if pooled else "year"
    product_filter = f"AND hs6 IN {_in_list(products)}" if products is not None else ""
    frame = store.sql(f"""
        WITH x AS (
            SELECT {year_expr} AS year, hs6, exporter, sum(value) AS value
            FROM {base} b WHERE NOT {pseudo_sql("exporter")} {product_filter}
            GROUP BY ALL)
        SELECT year, hs6, exporter, value,
               value / sum(value) OVER (PARTITION BY year, hs6) AS share,
               rank() OVER (PARTITION BY year, hs6 ORDER BY value DESC) AS rank,
               count(*) OVER (PARTITION BY year, hs6) AS n_exporters
        FROM x ORDER BY year, hs6, rank, exporter""")
    frame.attrs["unspecified"] = _unspecified_note(store, base, "exporter", product_filter)
    return frame


def topk_counts(
    store: TradeStore,
    years: Years = None,
    *,
    k: int = 3,
    vintage: str | None = None,
    universe: str | Sequence[str] = "intermediate",
    products: Sequence[str] | None = None,
    high_centrality_quantile: float | None = None,
    centrality: str = "freeman",
) -> pd.DataFrame:
    """Per exporter: products exported, top-k and first places (METHODS §10.2).

    Ranks use the value summed over ``years`` (pooled, the S0 default); ``n_first_every_year``
    counts products where the exporter ranks first in every year of the window separately.
    Columns: exporter, n_exported, n_topk, n_first, n_first_every_year, n_products (universe
    size: products with trade in the window).

    ``high_centrality_quantile`` (e.g. 0.75, S0 item 3/7): count only the globally
    high-centrality products — a product's centrality (``centrality`` variant, §10.4) is its
    mean over the window's years, and it is "high" when at least the given quantile of that
    mean over the universe products traded in the window (linear interpolation). The
    threshold and the number of such products are in ``attrs``.
    """
    if k < 1:
        raise ChainAtlasError("k must be at least 1")
    base, vintage, chosen = _base(store, vintage, years, universe)
    attrs: dict = {"universe": getattr(universe, "concordance", universe)}
    if high_centrality_quantile is not None:
        if not 0.0 <= high_centrality_quantile <= 1.0:
            raise ChainAtlasError(f"quantile {high_centrality_quantile} outside [0, 1]")
        cent = export_centrality(
            store, chosen, variant=centrality, vintage=vintage, universe=universe
        )
        mean = cent.groupby("hs6")["centrality"].mean()
        threshold = float(mean.quantile(high_centrality_quantile)) if len(mean) else np.nan
        high = sorted(mean.index[mean >= threshold])
        if products is not None:
            high = sorted(set(high) & {str(p) for p in products})
        products = high
        attrs.update(
            centrality=centrality,
            centrality_quantile=high_centrality_quantile,
            centrality_threshold=threshold,
            n_high_centrality=len(high),
        )
    product_filter = f"WHERE hs6 IN {_in_list(products)}" if products is not None else ""
    counts = store.sql(f"""
        WITH b AS (SELECT * FROM {base} b0 {product_filter}),
        pooled AS (
            SELECT hs6, exporter, sum(value) AS value FROM b GROUP BY ALL),
        ranked AS (
            SELECT hs6, exporter, rank() OVER (PARTITION BY hs6 ORDER BY value DESC) AS rank
            FROM pooled WHERE NOT {pseudo_sql("exporter")}),
        yearly AS (
            SELECT year, hs6, exporter, sum(value) AS value FROM b
            WHERE NOT {pseudo_sql("exporter")} GROUP BY ALL),
        yranked AS (
            SELECT year, hs6, exporter,
                   rank() OVER (PARTITION BY year, hs6 ORDER BY value DESC) AS rank
            FROM yearly),
        first_all AS (
            SELECT exporter, count(*) AS n_first_every_year FROM (
                SELECT hs6, exporter FROM yranked WHERE rank = 1
                GROUP BY hs6, exporter HAVING count(DISTINCT year) = {len(chosen)})
            GROUP BY exporter)
        SELECT r.exporter, count(*) AS n_exported,
               count(*) FILTER (WHERE r.rank <= {int(k)}) AS n_topk,
               count(*) FILTER (WHERE r.rank = 1) AS n_first,
               coalesce(any_value(fa.n_first_every_year), 0) AS n_first_every_year,
               (SELECT count(DISTINCT hs6) FROM pooled) AS n_products
        FROM ranked r LEFT JOIN first_all fa USING (exporter)
        GROUP BY r.exporter
        ORDER BY n_topk DESC, n_first DESC, r.exporter""")
    counts.attrs.update(attrs)
    _attach_coverage(counts.attrs, store, vintage, chosen)
    return counts


# --------------------------------------------------------------------------------------------
# §10.3 import concentration


def importer_hhi(
    store: TradeStore,
    importer: str,
    years: Years = None,
    *,
    vintage: str | None = None,
    universe: str | Sequence[str] = "all",
) -> pd.DataFrame:
    """HHI of supplier shares per product and year for one importer (METHODS §10.3).

    Columns: year, hs6, hs2, import_value, n_suppliers, hhi, top_supplier, top_share,
    unspecified_value. HHI lies in [1/n_suppliers, 1]. Unspecified areas (ANS, areas nes, …)
    are not suppliers: shares are over countries, ``import_value`` includes their value
    (``unspecified_value``) and a product imported only from them is left out (``attrs``).
    """
    base, vintage, _chosen = _base(store, vintage, years, universe)
    code = _country(importer, "importer")
    unspecified = pseudo_sql("exporter")
    frame = store.sql(
        f"""
        WITH m AS (
            SELECT year, hs6, any_value(hs2) AS hs2, exporter, sum(value) AS value
            FROM {base} b WHERE importer = ? AND exporter <> importer GROUP BY year, hs6,
            exporter),
        t AS (
            SELECT year, hs6, any_value(hs2) AS hs2, sum(value) AS import_value,
                   coalesce(sum(value) FILTER (WHERE {unspecified}), 0) AS unspecified_value
            FROM m GROUP BY year, hs6),
        s AS (
            SELECT *, value / sum(value) OVER (PARTITION BY year, hs6) AS share FROM m
            WHERE NOT {unspecified}),
        c AS (
            SELECT year, hs6, count(*) AS n_suppliers, sum(share * share) AS hhi,
                   arg_max(exporter, value) AS top_supplier, max(share) AS top_share
            FROM s GROUP BY year, hs6)
        SELECT t.year, t.hs6, t.hs2, t.import_value, c.n_suppliers, c.hhi, c.top_supplier,
               c.top_share, t.unspecified_value
        FROM t LEFT JOIN c USING (year, hs6) ORDER BY t.year, t.hs6""",
        [code],
    )
    frame = _drop_unspecified_only(frame, "n_suppliers", "import_value", "supplier")
    if frame.empty and code not in store.countries():
        raise ChainAtlasError(
            f"importer {importer!r} has no flows in {vintage}", path=str(store.path)
        )
    return frame


# --------------------------------------------------------------------------------------------
# §10.4 global export centrality


def export_centrality(
    store: TradeStore,
    years: Years = None,
    *,
    variant: str = "freeman",
    vintage: str | None = None,
    universe: str | Sequence[str] = "all",
    pooled: bool = False,
) -> pd.DataFrame:
    """Centralisation of each product's exporter network (METHODS §10.4).

    ``variant``: "freeman" (default; weighted out-strength centralisation
    (n*sigma_max - 1)/(n - 1), 1 for a single exporter, 0 for equal shares), "hhi" (exporter
    HHI), "hits" (max hub score, hubs summing to 1 per product), "pagerank" (max PageRank of
    the reversed importer->exporter network, damping 0.85).
    Columns: year, hs6, hs2, world_value, n_exporters, sigma_max, freeman, hhi,
    unspecified_value, centrality (= the chosen variant) and for hits/pagerank the score
    column. Unspecified areas (ANS, areas nes, X-codes, …) are not exporters: shares, HHI and
    centralisation are over countries, ``world_value`` still includes their exports
    (``unspecified_value``), and a product exported only by them is left out (``attrs``).
    HITS and PageRank drop them as nodes (exporters and importers).
    """
    if variant not in CENTRALITY_VARIANTS:
        raise ChainAtlasError(
            f"unknown centrality variant {variant!r}; use one of {', '.join(CENTRALITY_VARIANTS)}"
        )
    base, vintage, _chosen = _base(store, vintage, years, universe)
    year_expr = "0" if pooled else "year"
    unspecified = pseudo_sql("exporter")
    frame = store.sql(f"""
        WITH x AS (
            SELECT {year_expr} AS year, hs6, any_value(hs2) AS hs2, exporter,
                   sum(value) AS value
            FROM {base} b GROUP BY 1, hs6, exporter),
        t AS (
            SELECT year, hs6, any_value(hs2) AS hs2, sum(value) AS world_value,
                   coalesce(sum(value) FILTER (WHERE {unspecified}), 0) AS unspecified_value
            FROM x GROUP BY year, hs6),
        s AS (
            SELECT *, value / sum(value) OVER (PARTITION BY year, hs6) AS share FROM x
            WHERE NOT {unspecified}),
        c AS (
            SELECT year, hs6, count(*) AS n_exporters, max(share) AS sigma_max,
                   CASE WHEN count(*) = 1 THEN 1.0
                        ELSE (count(*) * max(share) - 1.0) / (count(*) - 1) END AS freeman,
                   sum(share * share) AS hhi
            FROM s GROUP BY year, hs6)
        SELECT t.year, t.hs6, t.hs2, t.world_value, c.n_exporters, c.sigma_max, c.freeman,
               c.hhi, t.unspecified_value
        FROM t LEFT JOIN c USING (year, hs6) ORDER BY t.year, t.hs6""")
    frame = _drop_unspecified_only(frame, "n_exporters", "world_value", "exporter")
    notes = dict(frame.attrs)
    if variant in ("freeman", "hhi"):
        frame["centrality"] = frame[variant]
        return frame
    notes["network"] = (
        "network measures: unspecified areas are left out as exporters and as importers "
        "(their flows are not edges)"
    )
    # Integer ids from DuckDB: the edge list reaches NumPy without string columns.
    store.con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _edges AS
        SELECT {year_expr} AS year, hs6, exporter, importer, sum(value) AS value
        FROM {base} b WHERE exporter <> importer AND NOT {unspecified}
          AND NOT {pseudo_sql("importer")} GROUP BY ALL""")
    try:
        blocks = store.sql("""
            SELECT year, hs6, CAST(row_number() OVER (ORDER BY year, hs6) - 1 AS BIGINT) AS bid
            FROM (SELECT DISTINCT year, hs6 FROM _edges)""")
        store.con.execute("""
            CREATE OR REPLACE TEMP TABLE _nodes AS
            SELECT c, CAST(row_number() OVER (ORDER BY c) - 1 AS BIGINT) AS cid
            FROM (SELECT exporter AS c FROM _edges UNION SELECT importer FROM _edges)""")
        n_countries = store.con.execute("SELECT count(*) FROM _nodes").fetchall()[0][0]
        store.con.register("_blocks", blocks)
        arrays = store.con.execute("""
            SELECT b.bid, ce.cid AS src, ci.cid AS dst, e.value
            FROM _edges e JOIN _blocks b USING (year, hs6)
            JOIN _nodes ce ON e.exporter = ce.c JOIN _nodes ci ON e.importer = ci.c""").fetchnumpy()
        store.con.unregister("_blocks")
    finally:
        store.con.execute("DROP TABLE IF EXISTS _edges")
        store.con.execute("DROP TABLE IF EXISTS _nodes")
    solver, column = (
        (hub_max_arrays, "hub_max") if variant == "hits" else (pagerank_max_arrays, "pagerank_max")
    )
    blocks[column] = solver(
        np.asarray(arrays["bid"], dtype=np.int64),
        np.asarray(arrays["src"], dtype=np.int64),
        np.asarray(arrays["dst"], dtype=np.int64),
        np.asarray(arrays["value"], dtype=float),
        len(blocks),
        max(int(n_countries), 1),
    )
    del arrays
    blocks["year"] = blocks["year"].astype(frame["year"].dtype)
    frame = frame.merge(blocks.drop(columns="bid"), on=["year", "hs6"], how="left")
    # products traded only as self-flows or with unspecified areas: no network, score 0
    frame[column] = frame[column].fillna(0.0)
    frame["centrality"] = frame[column]
    frame.attrs.update(notes)
    return frame


# --------------------------------------------------------------------------------------------
# §10.5 four-class screen and §10.6 composite vulnerability


@dataclass
class VulnerabilityResult:
    """Per-product screen for one importer, class summary and HS2 ranking."""

    importer: str
    vintage: str
    years: list[int]
    products: pd.DataFrame
    classes: pd.DataFrame
    chapters: pd.DataFrame
    thresholds: pd.DataFrame
    parameters: dict = field(default_factory=dict)


def _percentile_rank(values: pd.Series, groups: pd.Series) -> pd.Series:
    """Percentile rank in (0, 1] within groups (average rank of ties / n)."""
    return values.groupby(groups).rank(method="average", pct=True)


def vulnerability_screen(
    store: TradeStore,
    importer: str,
    years: Years = None,
    *,
    vintage: str | None = None,
    centrality: str = "freeman",
    centrality_quantile: float = 0.75,
    hhi_quantile: float = 0.75,
    universe: str | Sequence[str] = "intermediate",
) -> VulnerabilityResult:
    """Four-class classification (§10.5) and composite vulnerability by HS2 (§10.6).

    Per year: high centrality = Cent_p >= the ``centrality_quantile`` quantile of Cent over
    the universe products traded worldwide that year; high concentration = HHI_{c,p} >= the
    ``hhi_quantile`` quantile over the products c imports. Classes: 1 high/high, 2 high
    centrality/low HHI, 3 low centrality/high HHI, 4 low/low. VI = P(Cent) * P(HHI) (percentile
    ranks); CVI_h = sum_{p in h} (M_{c,p} / M_c) VI_{c,p}.
    """
    for q in (centrality_quantile, hhi_quantile):
        if not 0.0 <= q <= 1.0:
            raise ChainAtlasError(f"quantile {q} outside [0, 1]")
    code = _country(importer, "importer")
    cent = export_centrality(store, years, variant=centrality, vintage=vintage, universe=universe)
    vintage_used = store.resolve_vintage(vintage)
    hhi = importer_hhi(store, code, years, vintage=vintage_used, universe=universe)
    if hhi.empty:
        raise ChainAtlasError(
            f"{code} imports no {universe} products in the selected years", path=str(store.path)
        )
    cent["p_centrality"] = _percentile_rank(cent["centrality"], cent["year"])
    cent_threshold = cent.groupby("year")["centrality"].quantile(centrality_quantile)
    hhi_threshold = hhi.groupby("year")["hhi"].quantile(hhi_quantile)
    products = hhi.merge(
        cent[["year", "hs6", "world_value", "n_exporters", "centrality", "p_centrality"]],
        on=["year", "hs6"],
        how="left",
        validate="one_to_one",
    )
    products["p_hhi"] = _percentile_rank(products["hhi"], products["year"])
    products["centrality_threshold"] = products["year"].map(cent_threshold)
    products["hhi_threshold"] = products["year"].map(hhi_threshold)
    products["high_centrality"] = products["centrality"] >= products["centrality_threshold"]
    products["high_hhi"] = products["hhi"] >= products["hhi_threshold"]
    products["vclass"] = np.select(
        [
            products["high_centrality"] & products["high_hhi"],
            products["high_centrality"] & ~products["high_hhi"],
            ~products["high_centrality"] & products["high_hhi"],
        ],
        [1, 2, 3],
        default=4,
    )
    products["vi"] = products["p_centrality"] * products["p_hhi"]
    total = products.groupby("year")["import_value"].transform("sum")
    products["import_weight"] = products["import_value"] / total
    products.insert(0, "importer", code)

    classes = (
        products.groupby(["year", "vclass"])
        .agg(n_products=("hs6", "size"), import_value=("import_value", "sum"))
        .reindex(
            pd.MultiIndex.from_product(
                [sorted(products["year"].unique()), [1, 2, 3, 4]], names=["year", "vclass"]
            ),
            fill_value=0,
        )
        .reset_index()
    )
    classes["share_products"] = classes["n_products"] / classes.groupby("year")[
        "n_products"
    ].transform("sum")
    classes["share_value"] = classes["import_value"] / classes.groupby("year")[
        "import_value"
    ].transform("sum")
    classes["label"] = classes["vclass"].map(
        {
            1: "high centrality, high concentration",
            2: "high centrality, low concentration",
            3: "low centrality, high concentration",
            4: "low centrality, low concentration",
        }
    )

    chapters = composite_vulnerability(products)
    thresholds = pd.DataFrame(
        {
            "year": cent_threshold.index,
            "centrality_variant": centrality,
            "centrality_quantile": centrality_quantile,
            "centrality_threshold": cent_threshold.to_numpy(),
            "n_universe": cent.groupby("year").size().reindex(cent_threshold.index).to_numpy(),
            "hhi_quantile": hhi_quantile,
            "hhi_threshold": hhi_threshold.reindex(cent_threshold.index).to_numpy(),
            "n_imported": hhi.groupby("year").size().reindex(cent_threshold.index).to_numpy(),
        }
    )
    return VulnerabilityResult(
        importer=code,
        vintage=vintage_used,
        years=sorted(products["year"].unique().tolist()),
        products=products,
        classes=classes,
        chapters=chapters,
        thresholds=thresholds,
        parameters={
            "centrality": centrality,
            "centrality_quantile": centrality_quantile,
            "hhi_quantile": hhi_quantile,
            "universe": universe.describe() if hasattr(universe, "describe") else universe,
            "unspecified_areas": {
                "centrality": cent.attrs.get("unspecified"),
                "import_concentration": hhi.attrs.get("unspecified"),
            },
            **_attach_coverage({}, store, vintage_used, sorted(products["year"].unique().tolist())),
        },
    )


def composite_vulnerability(products: pd.DataFrame) -> pd.DataFrame:
    """CVI by HS2 chapter from a per-product screen (columns year, hs2, import_weight, vi)."""
    products = products.assign(weighted_vi=products["import_weight"] * products["vi"])
    chapters = (
        products.groupby(["year", "hs2"])
        .agg(
            cvi=("weighted_vi", "sum"),
            n_products=("hs6", "size"),
            import_value=("import_value", "sum"),
            n_class1=("vclass", lambda s: int((s == 1).sum())),
        )
        .reset_index()
    )
    chapters["rank"] = (
        chapters.groupby("year")["cvi"].rank(method="min", ascending=False).astype(int)
    )
    return chapters.sort_values(["year", "rank", "hs2"]).reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# §10.7 EU 2021 strategic-dependency screen


def strategic_dependency_screen(
    store: TradeStore,
    importer: str | Sequence[str],
    year: int,
    *,
    vintage: str | None = None,
    hhi_threshold: float = 0.4,
    extra_share_threshold: float = 0.5,
    import_export_threshold: float = 1.0,
    universe: str | Sequence[str] = "all",
) -> pd.DataFrame:
    """European Commission (2021) three-criteria screen for a country or group (§10.7).

    C1: HHI of extra-group supplier shares > ``hhi_threshold``; C2: extra-group imports /
    (extra + intra) imports > ``extra_share_threshold``; C3: extra-group imports /
    extra-group exports > ``import_export_threshold``. ``dependent`` = all three. For a single
    country intra-group trade is nil (C2 = 1). Columns include the value share of dependent
    products in extra-group imports (``attrs['dependent_value_share']``).

    Without extra-group exports ``import_export_ratio`` is missing (NaN) and
    ``no_extra_exports`` is True; C3 then holds (imports > threshold x 0) unless the threshold
    is infinite. Unspecified areas (ANS, areas nes, …) are not suppliers: HHI, top share and
    ``n_extra_suppliers`` are over countries, while ``extra_imports`` includes their value
    (``unspecified_value``); a product imported only from them is left out (``attrs``).
    """
    for option, value, upper in (
        ("--hhi-threshold", hhi_threshold, 1.0),
        ("--extra-share-threshold", extra_share_threshold, 1.0),
        ("--import-export-threshold", import_export_threshold, math.inf),
    ):
        if not (math.isfinite(value) or value == upper) or not 0 <= value <= upper:
            bounds = "between 0 and 1" if upper == 1.0 else "a number >= 0"
            raise ChainAtlasError(f"{option} must be {bounds}, got {value:g}")
    name, members = _members(store, importer, year)
    for member in members:
        _country(member, "importer")
    base, vintage, _chosen = _base(store, vintage, [year], universe)
    group = _in_list(members)
    unspecified = pseudo_sql("exporter")
    frame = store.sql(f"""
        WITH b AS (SELECT * FROM {base} b0),
        extra_sup AS (
            SELECT hs6, exporter, sum(value) AS value FROM b
            WHERE importer IN {group} AND exporter NOT IN {group} GROUP BY ALL),
        conc AS (
            SELECT hs6, sum(value) AS extra_imports,
                   count(*) FILTER (WHERE NOT {unspecified}) AS n_extra_suppliers,
                   sum(value * value) FILTER (WHERE NOT {unspecified})
                       / (sum(value) FILTER (WHERE NOT {unspecified})) ** 2 AS hhi_extra,
                   arg_max(exporter, value) FILTER (WHERE NOT {unspecified}) AS top_supplier,
                   max(value) FILTER (WHERE NOT {unspecified})
                       / sum(value) FILTER (WHERE NOT {unspecified}) AS top_share,
                   coalesce(sum(value) FILTER (WHERE {unspecified}), 0) AS unspecified_value
            FROM extra_sup GROUP BY hs6),
        intra AS (
            SELECT hs6, sum(value) AS intra_imports FROM b
            WHERE importer IN {group} AND exporter IN {group} AND exporter <> importer
            GROUP BY hs6),
        xexp AS (
            SELECT hs6, sum(value) AS extra_exports FROM b
            WHERE exporter IN {group} AND importer NOT IN {group} GROUP BY hs6)
        SELECT c.hs6, pr.hs2, pr.end_use, c.extra_imports,
               coalesce(i.intra_imports, 0) AS intra_imports,
               coalesce(x.extra_exports, 0) AS extra_exports, c.n_extra_suppliers,
               c.hhi_extra, c.top_supplier, c.top_share, c.unspecified_value
        FROM conc c LEFT JOIN intra i USING (hs6) LEFT JOIN xexp x USING (hs6)
        LEFT JOIN products pr ON pr.vintage = '{vintage}' AND pr.hs6 = c.hs6
        ORDER BY c.extra_imports DESC""")
    frame = _drop_unspecified_only(frame, "n_extra_suppliers", "extra_imports", "supplier")
    frame["extra_share"] = frame["extra_imports"] / (
        frame["extra_imports"] + frame["intra_imports"]
    )
    # No extra-group exports: the ratio is undefined (not a number to average or plot), so
    # it is missing and flagged; C3 compares imports with threshold x exports, which holds
    # for any positive imports against zero exports (a pure net importer).
    exports = frame["extra_exports"].to_numpy(dtype=float)
    imports = frame["extra_imports"].to_numpy(dtype=float)
    frame["no_extra_exports"] = exports <= 0
    frame["import_export_ratio"] = np.divide(
        imports, exports, out=np.full(len(frame), np.nan), where=exports > 0
    )
    frame["c1_concentrated"] = frame["hhi_extra"] > hhi_threshold
    frame["c2_extra_dominant"] = frame["extra_share"] > extra_share_threshold
    if math.isinf(import_export_threshold):
        frame["c3_net_importer"] = False  # no finite ratio exceeds an infinite threshold
    else:
        frame["c3_net_importer"] = imports > import_export_threshold * exports
    frame["dependent"] = (
        frame["c1_concentrated"] & frame["c2_extra_dominant"] & frame["c3_net_importer"]
    )
    frame.insert(0, "importer", name)
    frame.insert(1, "year", year)
    total = frame["extra_imports"].sum()
    frame.attrs["dependent_value_share"] = (
        float(frame.loc[frame["dependent"], "extra_imports"].sum() / total) if total else 0.0
    )
    frame.attrs["members"] = members
    _attach_coverage(frame.attrs, store, vintage, [year])
    frame.attrs["thresholds"] = {
        "hhi": hhi_threshold,
        "extra_share": extra_share_threshold,
        "import_export": import_export_threshold,
    }
    return frame


# --------------------------------------------------------------------------------------------
# §10.8 political-relation-adjusted supply risk


def read_distance_table(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Bilateral political distances: CSV with columns country_a, country_b, distance.

    Pairs are symmetric unless both directions are given. Distances must be finite and >= 0.
    """
    from pathlib import Path

    path = Path(path)
    try:
        frame = pd.read_csv(path, dtype={"country_a": str, "country_b": str})
    except (OSError, pd.errors.ParserError) as exc:
        raise ValidationError(f"cannot read distance table ({exc})", path=str(path)) from None
    return validate_distances(frame, str(path))


def validate_distances(frame: pd.DataFrame, where: str | None = None) -> pd.DataFrame:
    needed = ["country_a", "country_b", "distance"]
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise ValidationError(
            f"distance table lacks columns {missing} (needs {needed})",
            path=where,
            location="line 1",
        )
    values = pd.to_numeric(frame["distance"], errors="coerce")
    bad = values.isna() | ~np.isfinite(values) | (values < 0)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise ValidationError(
            f"distance {frame['distance'].iloc[row]!r} is not a number >= 0",
            path=where,
            location=f"line {row + 2}, column 'distance'",
        )
    for column in ("country_a", "country_b"):
        codes = frame[column].astype("string").str.strip()
        blank = codes.isna() | (codes == "")
        if blank.any():
            row = int(np.flatnonzero(blank.to_numpy())[0])
            raise ValidationError(
                "missing country code", path=where, location=f"line {row + 2}, column {column!r}"
            )
    out = pd.DataFrame(
        {
            "country_a": frame["country_a"].astype(str).str.strip().str.upper(),
            "country_b": frame["country_b"].astype(str).str.strip().str.upper(),
            "distance": values.astype(float),
        }
    )
    # A pair listed twice with different distances: which one holds is not for us to guess.
    pair = out[["country_a", "country_b"]]
    repeated = out[pair.duplicated(keep=False)]
    conflicting = repeated.groupby(["country_a", "country_b"])["distance"].nunique()
    conflicting = conflicting[conflicting > 1]
    if len(conflicting):
        a, b = conflicting.index[0]
        lines = [
            int(i) + 2
            for i in repeated.index[(repeated.country_a == a) & (repeated.country_b == b)]
        ]
        raise ValidationError(
            f"pair {a}-{b} is listed with different distances on lines "
            f"{', '.join(map(str, lines))} ({len(conflicting)} such pair(s))",
            path=where,
            location=f"line {lines[1]}, column 'distance'",
        )
    return out


def political_risk(
    store: TradeStore,
    importer: str,
    distances: pd.DataFrame,
    years: Years = None,
    *,
    vintage: str | None = None,
    lam: float = 1.0,
    universe: str | Sequence[str] = "intermediate",
    missing_distance: float | None = None,
) -> dict:
    """Economic and political-relation-adjusted supply risk of ``importer`` (§10.8).

    R_econ = sum_p w_p sum_s m_{s,p} q_{s,p}; R_pol = sum_p w_p sum_s m_{s,p} q_{s,p}
    (1 + lam * pi_{c,s}), pi = min-max normalised distance over the whole table (one scale for
    every importer). A supplier without a distance is an error listing all of them, unless
    ``missing_distance`` (a raw distance) is given; the filled suppliers are reported.
    Returns a dict with r_econ, r_pol, relative_increase, by_year (DataFrame), missing
    (DataFrame) and parameters. Unspecified areas (ANS, areas nes, …) are neither suppliers
    nor in the world shares q (they have no political distance).
    """
    distances = validate_distances(distances)
    code = _country(importer, "importer")
    base, vintage, chosen = _base(store, vintage, years, universe)
    supplies = store.sql(
        f"""
        WITH b AS (SELECT * FROM {base} b0),
        world AS (SELECT year, hs6, exporter, sum(value) AS x FROM b
                  WHERE NOT {pseudo_sql("exporter")} GROUP BY ALL),
        q AS (SELECT *, x / sum(x) OVER (PARTITION BY year, hs6) AS q FROM world),
        m AS (SELECT year, hs6, exporter, sum(value) AS m FROM b
              WHERE importer = ? AND exporter <> importer AND NOT {pseudo_sql("exporter")}
              GROUP BY ALL)
        SELECT m.year, m.hs6, m.exporter AS supplier, m.m AS import_value, q.q
        FROM m JOIN q USING (year, hs6, exporter)""",
        [code],
    )
    if supplies.empty:
        raise ChainAtlasError(
            f"{code} has no imports from a country in the selected data (unspecified areas "
            "such as ANS are not suppliers)",
            path=str(store.path),
        )
    dmin, dmax = distances["distance"].min(), distances["distance"].max()
    span = dmax - dmin
    if missing_distance is not None and not dmin <= missing_distance <= dmax:
        # pi is min-max normalised over the table; a value outside it has no place in [0, 1].
        raise ValidationError(
            f"missing_distance {missing_distance} lies outside the table's range "
            f"[{dmin}, {dmax}], so its normalised distance would leave [0, 1]"
        )
    both = pd.concat(
        [distances, distances.rename(columns={"country_a": "country_b", "country_b": "country_a"})]
    )
    both = both.drop_duplicates(["country_a", "country_b"], keep="first")
    row = both[both["country_a"] == code].set_index("country_b")["distance"]
    supplies["distance"] = supplies["supplier"].map(row)
    lacking = supplies[supplies["distance"].isna()]
    missing = (
        lacking.groupby("supplier")["import_value"]
        .sum()
        .sort_values(ascending=False)
        .rename("import_value")
        .reset_index()
    )
    if len(missing) and missing_distance is None:
        raise ValidationError(
            f"no political distance for {len(missing)} supplier(s) of {code}: "
            + ", ".join(missing["supplier"].head(30))
            + ("…" if len(missing) > 30 else "")
            + "; add them to the table or pass missing_distance",
            location=f"importer {code}",
        )
    supplies["distance"] = supplies["distance"].fillna(
        missing_distance if missing_distance is not None else 0.0
    )
    supplies["pi"] = (supplies["distance"] - dmin) / span if span > 0 else 0.0
    per_product = supplies.groupby(["year", "hs6"])["import_value"].transform("sum")
    supplies["m"] = supplies["import_value"] / per_product
    year_total = supplies.groupby("year")["import_value"].transform("sum")
    supplies["w"] = per_product / year_total
    supplies["econ"] = supplies["w"] * supplies["m"] * supplies["q"]
    supplies["pol"] = supplies["econ"] * (1 + lam * supplies["pi"])
    by_year = (
        supplies.groupby("year")[["econ", "pol"]]
        .sum()
        .rename(columns={"econ": "r_econ", "pol": "r_pol"})
        .reset_index()
    )
    by_year["relative_increase"] = by_year["r_pol"] / by_year["r_econ"] - 1
    r_econ = float(by_year["r_econ"].mean())
    r_pol = float(by_year["r_pol"].mean())
    return {
        "importer": code,
        "r_econ": r_econ,
        "r_pol": r_pol,
        "relative_increase": r_pol / r_econ - 1,
        "by_year": by_year,
        "missing": missing,
        "parameters": {
            "lambda": lam,
            "distance_min": dmin,
            "distance_max": dmax,
            "universe": universe,
            "years": chosen,
        },
    }


# --------------------------------------------------------------------------------------------
# bilateral exports by BEC end use


def end_use_composition(
    store: TradeStore,
    exporter: str | Sequence[str] | None,
    importer: str | Sequence[str] | None,
    years: Years = None,
    *,
    vintage: str | None = None,
) -> pd.DataFrame:
    """Exports from ``exporter`` to ``importer`` (countries, groups or None = world) by BEC end
    use and year. Columns: year, end_use, value, share (shares sum to 1 per year)."""
    base, vintage, _chosen = _base(store, vintage, years, "all")
    conditions = ["exporter <> importer"]
    names = []
    for column, who in (("exporter", exporter), ("importer", importer)):
        if who is None:
            names.append("world")
            continue
        name, members = _members(store, who)
        names.append(name)
        conditions.append(f"{column} IN {_in_list(members)}")
    frame = store.sql(f"""
        SELECT year, coalesce(end_use, 'unknown') AS end_use, sum(value) AS value
        FROM {base} b WHERE {" AND ".join(conditions)}
        GROUP BY ALL ORDER BY year, end_use""")
    frame["share"] = frame["value"] / frame.groupby("year")["value"].transform("sum")
    frame.insert(0, "exporter", names[0])
    frame.insert(1, "importer", names[1])
    if frame.empty:
        frame.attrs["why_empty"] = _why_no_flows(store, base, exporter, importer, names)
    return frame


def _why_no_flows(store, base, exporter, importer, names) -> str:
    """Why a bilateral selection has no flows: which side never appears in the store."""
    reasons = []
    for column, who, name in (("exporter", exporter, names[0]), ("importer", importer, names[1])):
        if who is None:
            continue
        _, members = _members(store, who)
        present = store.sql(
            f"SELECT count(*) AS n FROM {base} b WHERE {column} IN {_in_list(members)}"
        )["n"].iloc[0]
        if not present:
            reasons.append(f"{name} has no flows as {column} in the selected years")
    if not reasons:
        reasons.append(f"{names[0]} exports nothing to {names[1]} in the selected years")
    return "; ".join(reasons)


def _drop_unspecified_only(frame: pd.DataFrame, count: str, total: str, role: str) -> pd.DataFrame:
    """Drop the rows whose only partners are unspecified areas (their shares, HHI and
    centrality are undefined) and say so in ``attrs['unspecified']``."""
    lost = frame[count].isna() | (frame[count] == 0)  # NULL from a join, 0 from a FILTER
    kept = frame.loc[~lost].reset_index(drop=True)
    kept[count] = kept[count].astype("int64")
    note = (
        f"unspecified areas (ANS, areas nes, X-codes, …) are not counted as {role}s: shares, "
        f"HHI and centrality are over countries; {total} includes them "
        "(column unspecified_value)"
    )
    if lost.any():
        note += (
            f"; {int(lost.sum()):,} row(s) with no {role} but unspecified areas "
            f"({float(frame.loc[lost, total].sum()):,.0f} USD) are left out"
        )
    kept.attrs = {**frame.attrs, "unspecified": note}
    return kept


def _unspecified_note(store, base: str, column: str, condition: str = "") -> str:
    """How much of the selection's value the unspecified areas in ``column`` hold."""
    value, pseudo = store.con.execute(
        f"SELECT coalesce(sum(value), 0), coalesce(sum(value) FILTER (WHERE "
        f"{pseudo_sql(column)}), 0) FROM {base} b WHERE true {condition}"
    ).fetchone()
    share = float(pseudo) / float(value) if value else 0.0
    return (
        f"unspecified areas (ANS, areas nes, X-codes, …) are not counted as {column}s; "
        f"they hold {share:.2%} of the selected value, left out of the shares"
    )


def _attach_coverage(attrs: dict, store, vintage, years) -> dict:
    """Put the store's coverage (and a warning for a non-world store) in ``attrs``."""
    coverage = store_coverage(store, vintage, years)
    attrs["coverage"] = coverage.summary()
    warning = coverage.warning()
    if warning:
        attrs["coverage_warning"] = warning
    return attrs


__all__ = [
    "CENTRALITY_VARIANTS",
    "VulnerabilityResult",
    "composite_vulnerability",
    "end_use_composition",
    "export_centrality",
    "exporter_shares",
    "importer_hhi",
    "political_risk",
    "read_distance_table",
    "strategic_dependency_screen",
    "topk_counts",
    "validate_distances",
    "vulnerability_screen",
]
