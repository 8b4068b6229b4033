"""Economies whose row sets differ: split (CN1/CN2) or grouped (NAFTA) economies.

METHODS §1: China's and Mexico's processing split is kept in the computation and reported as
CHN / MEX. An economy is then made of several *parts* (its rows in the published table: CN1
and CN2, each with the N industries), flows between its parts are domestic, and it is one
exporter with 2N rows. The same holds for a group of countries treated as one economy
(exvatools' group exporters: intra-group flows are domestic).

The decompositions and indicators are written on uniform (G, G, N, N) block cubes. A ragged
table is therefore held as a *padded uniform view*: every economy gets P·N rows (P = the
largest number of parts), part p of economy e in slots p·N … p·N + N − 1, and economies with
fewer parts get zero rows and columns in the remaining slots ("dummy" rows: zero output, so
A = 0 and v = 0 there and every term of a dummy row is exactly 0). An
:class:`EconomyLayout` on the model says which slots are real; a uniform table has no layout
and costs nothing extra. The global inverse is computed on the real rows only (a dummy row of
I − A is a unit row, so B is the real rows' inverse with the identity on dummies) — padding
doubles the matrix sides, but not the O(n³) factorisation.

Results: decompositions sum the slots of each industry over the parts (CHN's D01T02 row = its
CN1 + CN2 D01T02 rows, as TiVA publishes CHN by industry); dummy rows are exactly 0 and vanish.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from chainatlas.errors import ValidationError

SLOT_SEPARATOR = "~"  # padded slot label of part p > 0: f"{industry}~{p + 1}"


@dataclass(frozen=True, eq=False)
class EconomyLayout:
    """Which slots of a padded uniform view hold real rows.

    ``parts[e]`` lists the part codes of economy ``e`` in the order of its slots (e.g.
    ``("CN1", "CN2")``; a one-part economy lists its own code). ``industries`` are the N
    industry codes every part shares.
    """

    parts: tuple[tuple[str, ...], ...]
    industries: tuple[str, ...]

    @property
    def P(self) -> int:
        """Parts per economy in the padded view (the largest economy's count)."""
        return max(len(p) for p in self.parts)

    @property
    def N(self) -> int:
        return len(self.industries)

    @cached_property
    def real(self) -> np.ndarray:
        """(G·P·N,) bool: True on real rows of the padded view."""
        counts = np.array([len(p) for p in self.parts])
        part_of_slot = np.repeat(np.arange(self.P), self.N)  # (P·N,)
        mask = part_of_slot[None, :] < counts[:, None]
        mask = mask.reshape(-1)
        mask.setflags(write=False)
        return mask

    @cached_property
    def real_index(self) -> np.ndarray:
        index = np.flatnonzero(self.real)
        index.setflags(write=False)
        return index

    def slot_labels(self) -> tuple[str, ...]:
        """Sector labels of the padded view's P·N slots (unique, for validation)."""
        return tuple(
            ind if p == 0 else f"{ind}{SLOT_SEPARATOR}{p + 1}"
            for p in range(self.P)
            for ind in self.industries
        )

    def row_labels(self) -> list[tuple[int, str, str]]:
        """(economy position, part code, industry) of every real row, in padded order."""
        out = []
        for e, parts in enumerate(self.parts):
            for part in parts:
                out.extend((e, part, ind) for ind in self.industries)
        return out

    def collapse_rows(self, array: np.ndarray) -> np.ndarray:
        """Sum the P parts of each industry: (G·P·N, …) -> (G·N, …)."""
        G = len(self.parts)
        shaped = array.reshape(G, self.P, self.N, *array.shape[1:])
        return shaped.sum(axis=1).reshape(G * self.N, *array.shape[1:])

    def describe(self, countries: Sequence[str]) -> str:
        split = [
            f"{c} = {'+'.join(p)}" for c, p in zip(countries, self.parts, strict=True) if len(p) > 1
        ]
        return "economies computed on their parts (flows between parts are domestic): " + "; ".join(
            split
        )


def build_padded(
    Z: np.ndarray,
    Y_full: np.ndarray,
    x: np.ndarray | None,
    published_va: np.ndarray | None,
    *,
    part_codes: Sequence[str],
    part_economy: Sequence[int],
    n_economies: int,
    industries: Sequence[str],
    where: str | None = None,
) -> tuple[EconomyLayout | None, np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Scatter a part-level table (K parts × N industries, country-major) into the padded view.

    ``part_economy[k]`` is the economy position of part k; Y_full's columns are already by
    destination economy. Returns (layout or None when every economy has one part, Z, Y_full,
    x, published_va) — unchanged arrays in the uniform case.
    """
    N = len(industries)
    K = len(part_codes)
    part_economy = np.asarray(part_economy, dtype=int)
    if Z.shape != (K * N, K * N):
        raise ValidationError(
            f"intermediate matrix has shape {Z.shape}, expected ({K * N}, {K * N}) for {K} "
            f"parts x {N} industries",
            path=where,
        )
    counts = np.bincount(part_economy, minlength=n_economies)
    if np.any(counts == 0):
        e = int(np.flatnonzero(counts == 0)[0])
        raise ValidationError(f"economy {e + 1} has no rows", path=where)
    parts: list[list[str]] = [[] for _ in range(n_economies)]
    rank = np.empty(K, dtype=int)
    for k, (code, e) in enumerate(zip(part_codes, part_economy, strict=True)):
        rank[k] = len(parts[e])
        parts[e].append(str(code))
    if np.all(counts == 1) and np.array_equal(part_economy, np.arange(K)):
        return None, Z, Y_full, x, published_va
    layout = EconomyLayout(tuple(tuple(p) for p in parts), tuple(str(i) for i in industries))
    target = ((part_economy * layout.P + rank)[:, None] * N + np.arange(N)[None, :]).reshape(-1)
    size = n_economies * layout.P * N

    def rows(array: np.ndarray) -> np.ndarray:
        out = np.zeros((size, *array.shape[1:]))
        out[target] = array
        return out

    Z_pad = np.zeros((size, size))
    Z_pad[np.ix_(target, target)] = Z
    return (
        None if layout.P == 1 else layout,  # one part each, reordered: a uniform table
        Z_pad,
        rows(Y_full),
        None if x is None else rows(x),
        None if published_va is None else rows(published_va),
    )
