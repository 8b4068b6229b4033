"""HITS hub and PageRank scores on many small product networks at once.

Every product's exporter->importer network is one diagonal block of a single sparse matrix,
so one sparse mat-vec per iteration updates all products; per-block normalisation uses
``np.bincount`` over the block id of each node. No Python loop over products.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse


def _block_nodes(edges: pd.DataFrame, group: list[str]) -> tuple[np.ndarray, ...]:
    """Node ids for (block, country) pairs; returns block id per node, src, dst, weight."""
    keys = (
        edges[group].astype(str).agg("\x1f".join, axis=1)
        if len(group) > 1
        else edges[group[0]].astype(str)
    )
    block_codes, block_index = np.unique(keys.to_numpy(), return_inverse=True)
    exporters = keys.to_numpy() + "\x1e" + edges["exporter"].astype(str).to_numpy()
    importers = keys.to_numpy() + "\x1e" + edges["importer"].astype(str).to_numpy()
    nodes, inverse = np.unique(np.concatenate([exporters, importers]), return_inverse=True)
    src = inverse[: len(edges)]
    dst = inverse[len(edges) :]
    node_block = np.empty(len(nodes), dtype=np.int64)
    node_block[src] = block_index
    node_block[dst] = block_index
    return block_codes, block_index, node_block, src, dst, len(nodes)


def _block_sum(values: np.ndarray, node_block: np.ndarray, n_blocks: int) -> np.ndarray:
    return np.bincount(node_block, weights=values, minlength=n_blocks)


def max_hub_scores(
    edges: pd.DataFrame, group: list[str], *, max_iter: int = 500, tol: float = 1e-12
) -> pd.DataFrame:
    """Max HITS hub score per block on the weighted exporter->importer network.

    ``edges``: columns ``group`` + exporter, importer, value (> 0). Hub scores are normalised
    to sum 1 within each block (networkx convention), so a single exporter scores 1.
    """
    block_codes, _block_index, node_block, src, dst, n = _block_nodes(edges, group)
    weights = edges["value"].to_numpy(dtype=float)
    W = sparse.csr_matrix((weights, (src, dst)), shape=(n, n))
    WT = W.T.tocsr()
    n_blocks = len(block_codes)
    block_size = np.bincount(node_block, minlength=n_blocks).astype(float)
    hub = 1.0 / block_size[node_block]
    for _ in range(max_iter):
        auth = WT @ hub
        auth /= _block_sum(auth, node_block, n_blocks)[node_block]
        new = W @ auth
        new /= _block_sum(new, node_block, n_blocks)[node_block]
        delta = np.abs(new - hub).max()
        hub = new
        if delta < tol:
            break
    is_exporter = np.zeros(n, dtype=bool)
    is_exporter[src] = True
    best = np.full(n_blocks, 0.0)
    np.maximum.at(best, node_block[is_exporter], hub[is_exporter])
    return _frame(block_codes, group, best, "hub_max")


def max_pagerank_reversed(
    edges: pd.DataFrame,
    group: list[str],
    *,
    damping: float = 0.85,
    max_iter: int = 500,
    tol: float = 1e-12,
) -> pd.DataFrame:
    """Max PageRank per block of the reversed (importer->exporter) weighted network.

    Teleport and dangling mass stay inside each product's block (uniform over its nodes).
    """
    block_codes, _block_index, node_block, src, dst, n = _block_nodes(edges, group)
    weights = edges["value"].to_numpy(dtype=float)
    # Reversed edges: importer (dst) -> exporter (src); column-stochastic transition.
    out_weight = np.bincount(dst, weights=weights, minlength=n)
    T = sparse.csr_matrix((weights / out_weight[dst], (src, dst)), shape=(n, n))
    n_blocks = len(block_codes)
    block_size = np.bincount(node_block, minlength=n_blocks).astype(float)
    dangling = out_weight == 0
    rank = 1.0 / block_size[node_block]
    for _ in range(max_iter):
        dangling_mass = _block_sum(rank * dangling, node_block, n_blocks)
        new = (
            damping * (T @ rank)
            + ((1 - damping) + damping * dangling_mass[node_block]) / block_size[node_block]
        )
        delta = np.abs(new - rank).max()
        rank = new
        if delta < tol:
            break
    is_exporter = np.zeros(n, dtype=bool)
    is_exporter[src] = True
    best = np.full(n_blocks, 0.0)
    np.maximum.at(best, node_block[is_exporter], rank[is_exporter])
    return _frame(block_codes, group, best, "pagerank_max")


def _frame(
    block_codes: np.ndarray, group: list[str], values: np.ndarray, name: str
) -> pd.DataFrame:
    if len(group) > 1:
        parts = pd.Series(block_codes).str.split("\x1f", expand=True)
        parts.columns = group
    else:
        parts = pd.DataFrame({group[0]: block_codes})
    parts[name] = values
    return parts


__all__ = ["max_hub_scores", "max_pagerank_reversed"]
