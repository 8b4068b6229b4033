"""HITS hub and PageRank scores on many small product networks at once.

Every product's exporter->importer network is one diagonal block of a single sparse matrix,
so one sparse mat-vec per iteration updates all products; per-block sums and maxima use
``np.bincount`` / ``np.maximum.reduceat`` over nodes sorted by block. No Python loop over
products (except the exact dense fallback for HITS blocks that converge slowly).

The array functions take integer edge lists (block id, exporter id, importer id, weight) so
that an 11-million-edge year never becomes a pandas frame of strings; the DataFrame wrappers
factorize labels for small inputs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse


def _nodes(
    block: np.ndarray, src_c: np.ndarray, dst_c: np.ndarray, n_countries: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Node ids for (block, country) pairs, sorted by block; returns node_block, src, dst, n."""
    keys = np.concatenate([block * n_countries + src_c, block * n_countries + dst_c])
    nodes, inverse = np.unique(keys, return_inverse=True)
    del keys
    m = len(block)
    return nodes // n_countries, inverse[:m], inverse[m:], len(nodes)


def _block_max(
    values: np.ndarray, node_block: np.ndarray, n_blocks: int, mask: np.ndarray | None = None
) -> np.ndarray:
    """Per-block maximum of ``values`` (over ``mask``ed nodes; 0 where a block has none)."""
    out = np.zeros(n_blocks)
    if mask is not None:
        values, node_block = values[mask], node_block[mask]
    if len(values) == 0:
        return out
    present, starts = np.unique(node_block, return_index=True)
    out[present] = np.maximum.reduceat(values, starts)
    return out


def hub_max_arrays(
    block: np.ndarray,
    src_c: np.ndarray,
    dst_c: np.ndarray,
    weight: np.ndarray,
    n_blocks: int,
    n_countries: int,
    *,
    max_iter: int = 100,
    tol: float = 1e-10,
) -> np.ndarray:
    """Max HITS hub score per block (hubs sum to 1 within a block; one exporter scores 1).

    The hub vector is the limit of the power iteration from a uniform start: the projection
    of the uniform vector on the top eigenspace of W W' (well defined even when a product's
    network has disconnected components with equal top singular values). Blocks not
    converged after ``max_iter`` vectorised iterations are solved exactly (dense eigh of W W').
    """
    node_block, src, dst, n = _nodes(block, src_c, dst_c, n_countries)
    W = sparse.csr_matrix((weight, (src, dst)), shape=(n, n))
    WT = W.T.tocsr()
    starts = np.searchsorted(node_block, np.arange(n_blocks))
    block_size = np.bincount(node_block, minlength=n_blocks).astype(float)
    hub = 1.0 / block_size[node_block]
    block_delta = np.full(n_blocks, np.inf)
    for _ in range(max_iter):
        auth = WT @ hub
        auth /= np.bincount(node_block, weights=auth, minlength=n_blocks)[node_block]
        new = W @ auth
        new /= np.bincount(node_block, weights=new, minlength=n_blocks)[node_block]
        block_delta = np.maximum.reduceat(np.abs(new - hub), starts)
        hub = new
        if block_delta.max() < tol:
            break
    is_exporter = np.zeros(n, dtype=bool)
    is_exporter[src] = True
    best = _block_max(hub, node_block, n_blocks, is_exporter)
    slow = np.flatnonzero(block_delta >= tol)
    if len(slow):
        best[slow] = _dense_hub_max(slow, node_block, src, dst, weight)
    return best


def _dense_hub_max(
    blocks: np.ndarray,
    node_block: np.ndarray,
    src: np.ndarray,
    dst: np.ndarray,
    weights: np.ndarray,
) -> np.ndarray:
    """Exact max hub score for the given blocks (one small dense eigenproblem each)."""
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
        # Top eigenspace of M M' (the hub operator); eigh is cheaper than an SVD here.
        values, vectors = np.linalg.eigh(matrix @ matrix.T)
        top = vectors[:, values >= values[-1] * (1 - 1e-9)]
        hub = np.clip(top @ (top.T @ np.ones(len(rows))), 0.0, None)
        out[position] = hub.max() / hub.sum()
    return out


def pagerank_max_arrays(
    block: np.ndarray,
    src_c: np.ndarray,
    dst_c: np.ndarray,
    weight: np.ndarray,
    n_blocks: int,
    n_countries: int,
    *,
    damping: float = 0.85,
    max_iter: int = 500,
    tol: float = 1e-12,
) -> np.ndarray:
    """Max PageRank over exporters per block of the reversed (importer->exporter) network.

    Teleport and dangling mass stay inside each product's block (uniform over its nodes).
    """
    node_block, src, dst, n = _nodes(block, src_c, dst_c, n_countries)
    # Reversed edges: importer (dst) -> exporter (src); column-stochastic transition.
    out_weight = np.bincount(dst, weights=weight, minlength=n)
    T = sparse.csr_matrix((weight / out_weight[dst], (src, dst)), shape=(n, n))
    block_size = np.bincount(node_block, minlength=n_blocks).astype(float)
    dangling = out_weight == 0
    rank = 1.0 / block_size[node_block]
    for _ in range(max_iter):
        dangling_mass = np.bincount(node_block, weights=rank * dangling, minlength=n_blocks)
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
    return _block_max(rank, node_block, n_blocks, is_exporter)


def _factorize(edges: pd.DataFrame, group: list[str]):
    block = edges.groupby(group, sort=True, observed=True).ngroup().to_numpy(np.int64)
    labels = edges[group].drop_duplicates().sort_values(group).reset_index(drop=True)
    codes, countries = pd.factorize(
        pd.concat([edges["exporter"], edges["importer"]], ignore_index=True)
    )
    m = len(edges)
    return (
        labels,
        block,
        codes[:m].astype(np.int64),
        codes[m:].astype(np.int64),
        edges["value"].to_numpy(dtype=float),
        max(len(countries), 1),
    )


def max_hub_scores(edges: pd.DataFrame, group: list[str], **options) -> pd.DataFrame:
    """DataFrame wrapper of :func:`hub_max_arrays` (columns group + exporter, importer, value)."""
    labels, block, src_c, dst_c, weight, n_countries = _factorize(edges, group)
    return labels.assign(
        hub_max=hub_max_arrays(block, src_c, dst_c, weight, len(labels), n_countries, **options)
    )


def max_pagerank_reversed(edges: pd.DataFrame, group: list[str], **options) -> pd.DataFrame:
    """DataFrame wrapper of :func:`pagerank_max_arrays`."""
    labels, block, src_c, dst_c, weight, n_countries = _factorize(edges, group)
    return labels.assign(
        pagerank_max=pagerank_max_arrays(
            block, src_c, dst_c, weight, len(labels), n_countries, **options
        )
    )


__all__ = ["hub_max_arrays", "max_hub_scores", "max_pagerank_reversed", "pagerank_max_arrays"]
