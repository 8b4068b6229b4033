"""HITS hub and PageRank scores on many small product networks at once.

Every product's exporter->importer network is one diagonal block of a single sparse matrix,
so one sparse mat-vec per iteration updates all products; per-block normalisation uses
``np.bincount`` over the block id of each node. No Python loop over products.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse


def _block_nodes(edges: pd.DataFrame, group: list[str]) -> tuple:
    """Integer node ids for (block, country) pairs, built with factorize (no string keys).

    Returns (block labels frame, node_block, src, dst, n_nodes).
    """
    block_index = edges.groupby(group, sort=True, observed=True).ngroup().to_numpy(np.int64)
    labels = edges[group].drop_duplicates().sort_values(group).reset_index(drop=True)
    country_codes, countries = pd.factorize(
        pd.concat([edges["exporter"], edges["importer"]], ignore_index=True)
    )
    n_countries = max(len(countries), 1)
    keys = np.concatenate([block_index, block_index]) * n_countries + country_codes
    nodes, inverse = np.unique(keys, return_inverse=True)
    src = inverse[: len(edges)]
    dst = inverse[len(edges) :]
    node_block = nodes // n_countries
    return labels, node_block, src, dst, len(nodes)


def _block_sum(values: np.ndarray, node_block: np.ndarray, n_blocks: int) -> np.ndarray:
    return np.bincount(node_block, weights=values, minlength=n_blocks)


def max_hub_scores(
    edges: pd.DataFrame, group: list[str], *, max_iter: int = 300, tol: float = 1e-10
) -> pd.DataFrame:
    """Max HITS hub score per block on the weighted exporter->importer network.

    ``edges``: columns ``group`` + exporter, importer, value (> 0). Hub scores are normalised
    to sum 1 within each block (networkx convention), so a single exporter scores 1. The hub
    vector is the limit of the power iteration from a uniform start: the projection of the
    uniform vector on the top eigenspace of W W' (unique up to scale even when a product's
    network has disconnected components with equal top singular values). Blocks that have not
    converged after ``max_iter`` vectorised iterations are solved exactly by a dense SVD.
    """
    labels, node_block, src, dst, n = _block_nodes(edges, group)
    weights = edges["value"].to_numpy(dtype=float)
    W = sparse.csr_matrix((weights, (src, dst)), shape=(n, n))
    WT = W.T.tocsr()
    n_blocks = len(labels)
    block_size = np.bincount(node_block, minlength=n_blocks).astype(float)
    hub = 1.0 / block_size[node_block]
    # Node ids are sorted by block (see _block_nodes): per-block maxima via reduceat.
    starts = np.searchsorted(node_block, np.arange(n_blocks))
    block_delta = np.full(n_blocks, np.inf)
    for _ in range(max_iter):
        auth = WT @ hub
        auth /= _block_sum(auth, node_block, n_blocks)[node_block]
        new = W @ auth
        new /= _block_sum(new, node_block, n_blocks)[node_block]
        block_delta = np.maximum.reduceat(np.abs(new - hub), starts)
        hub = new
        if block_delta.max() < tol:
            break
    is_exporter = np.zeros(n, dtype=bool)
    is_exporter[src] = True
    best = np.full(n_blocks, 0.0)
    np.maximum.at(best, node_block[is_exporter], hub[is_exporter])
    slow = np.flatnonzero(block_delta >= tol)
    if len(slow):
        best[slow] = _dense_hub_max(slow, node_block, src, dst, weights)
    return labels.assign(hub_max=best)


def _dense_hub_max(
    blocks: np.ndarray,
    node_block: np.ndarray,
    src: np.ndarray,
    dst: np.ndarray,
    weights: np.ndarray,
) -> np.ndarray:
    """Exact max hub score for the given blocks (one small dense SVD each)."""
    edge_block = node_block[src]
    order = np.argsort(edge_block, kind="stable")
    sorted_blocks = edge_block[order]
    out = np.empty(len(blocks))
    for position, block in enumerate(blocks):
        lo, hi = np.searchsorted(sorted_blocks, [block, block + 1])
        picked = order[lo:hi]
        rows, r_index = np.unique(src[picked], return_inverse=True)
        cols, c_index = np.unique(dst[picked], return_inverse=True)
        matrix = np.zeros((len(rows), len(cols)))
        np.add.at(matrix, (r_index, c_index), weights[picked])
        u, sigma, _vt = np.linalg.svd(matrix, full_matrices=False)
        top = u[:, sigma >= sigma[0] * (1 - 1e-9)]
        hub = np.clip(top @ (top.T @ np.ones(len(rows))), 0.0, None)
        out[position] = hub.max() / hub.sum()
    return out


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
    labels, node_block, src, dst, n = _block_nodes(edges, group)
    weights = edges["value"].to_numpy(dtype=float)
    # Reversed edges: importer (dst) -> exporter (src); column-stochastic transition.
    out_weight = np.bincount(dst, weights=weights, minlength=n)
    T = sparse.csr_matrix((weights / out_weight[dst], (src, dst)), shape=(n, n))
    n_blocks = len(labels)
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
    return labels.assign(pagerank_max=best)


__all__ = ["max_hub_scores", "max_pagerank_reversed"]
