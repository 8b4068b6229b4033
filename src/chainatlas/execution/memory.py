"""Memory model of the large-table computations and the ``--memory-limit`` batch sizing.

All arrays are float64 (8 bytes). With GN = G·N rows, a dense GN×GN matrix costs 8·GN² bytes
(768 MB for EXIOBASE's 49 × 200 = 9,800 rows). The formulas below are what docs/scaling.md
documents; :func:`wwz_memory_plan` picks the exporter batch size for a memory limit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from chainatlas.errors import ChainAtlasError

FLOAT = 8  # bytes per float64
WWZ_INNER_VECTORS = 11  # (s, r)-specific N-vectors that A_sr multiplies (wwz.py's ``inner``)
WWZ_TERM_COUNT = 16

_UNITS = {
    "": 1,
    "b": 1,
    "k": 1000,
    "kb": 1000,
    "m": 1000**2,
    "mb": 1000**2,
    "g": 1000**3,
    "gb": 1000**3,
    "t": 1000**4,
    "tb": 1000**4,
    "kib": 1024,
    "mib": 1024**2,
    "gib": 1024**3,
    "tib": 1024**4,
}


def parse_memory_limit(text: str | int | float | None) -> int | None:
    """'16GB', '8 GiB', '500MB', 2e9 -> bytes (None stays None)."""
    if text is None:
        return None
    if isinstance(text, int | float):
        if text <= 0:
            raise ChainAtlasError(f"memory limit must be positive, got {text}")
        return int(text)
    match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([a-zA-Z]*)\s*", text)
    if not match or match.group(2).lower() not in _UNITS:
        raise ChainAtlasError(
            f"bad memory limit {text!r}; use e.g. 16GB, 8GiB or 500MB (bytes without a unit)"
        )
    value = float(match.group(1)) * _UNITS[match.group(2).lower()]
    if value <= 0:
        raise ChainAtlasError(f"memory limit must be positive, got {text!r}")
    return int(value)


def format_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.2f} {unit}"
        n /= 1000
    return f"{n:.2f} TB"  # pragma: no cover


def square_bytes(G: int, N: int) -> int:
    """One dense GN×GN float64 matrix."""
    return FLOAT * (G * N) ** 2


def table_bytes(G: int, N: int, F: int = 5) -> int:
    """The loaded table: Z (GN²), Y_full (GN·G·F) and the few GN vectors."""
    GN = G * N
    return FLOAT * (GN * GN + GN * G * F + 4 * GN)


def wwz_standard_bytes(G: int, N: int, F: int = 5) -> int:
    """Peak of ``chainatlas.decompositions.wwz.wwz`` on a cached model (approximate).

    The model caches A, the LU factors of I − A and B (3 GN²) next to Z; forming B needs an
    identity right-hand side (1 GN², transient) and wwz copies A into contiguous (G, G, N, N)
    blocks (1 GN²): 6 GN² with Z (measured: 4.6 GB at GN = 9,800, estimate 4.9 GB). The
    (G, G, N, ·) stacks are small next to those: 11 + 11 + 16 + 16 (G·G·N) arrays.
    """
    GN = G * N
    stacks = FLOAT * G * G * N * (2 * WWZ_INNER_VECTORS + 2 * WWZ_TERM_COUNT)
    return table_bytes(G, N, F) + 5 * square_bytes(G, N) + stacks + FLOAT * GN * 4 * G


@dataclass(frozen=True)
class WWZPlan:
    """How :func:`chainatlas.execution.wwz_batched` splits its work for a memory limit."""

    G: int
    N: int
    exporters_per_batch: int  # countries s whose A_s* rows and (s, r) stacks are live at once
    columns_per_solve: int  # unit columns per solve when extracting the diagonal blocks B_rr
    fixed_bytes: int  # table + LU factors + small (G, N, ·) arrays
    per_exporter_bytes: int  # added by each exporter in a batch
    limit: int | None

    @property
    def batches(self) -> int:
        return -(-self.G // self.exporters_per_batch)

    @property
    def peak_bytes(self) -> int:
        solve = FLOAT * self.G * self.N * self.columns_per_solve  # solved in place
        batch = self.per_exporter_bytes * self.exporters_per_batch
        return self.fixed_bytes + max(solve, batch)


def wwz_batched_fixed_bytes(G: int, N: int, F: int = 5) -> int:
    """Live for the whole batched run: the table (Z, Y) and the LU factors of I − A (1 GN²),
    plus the (G, G, N)-sized products with B (≈ 12 of them), the terms (16 × GN·G) and the
    (G, N, N) diagonal blocks (B_rr, L_rr and their temporaries)."""
    GN = G * N
    small = FLOAT * (12 * G * G * N + WWZ_TERM_COUNT * GN * G + 4 * G * N * N)
    return table_bytes(G, N, F) + square_bytes(G, N) + small


def wwz_batched_per_exporter_bytes(G: int, N: int) -> int:
    """One exporter s in a batch: its A_s* rows twice (scaled copy + contiguous blocks,
    2·N·GN) and its (G, N, 11) inner/through stacks and 16 term cubes."""
    GN = G * N
    return FLOAT * (2 * N * GN + G * N * (2 * WWZ_INNER_VECTORS + 2 * WWZ_TERM_COUNT))


def wwz_memory_plan(G: int, N: int, memory_limit: int | None, F: int = 5) -> WWZPlan:
    """Largest exporter batch (and solve width) whose estimated peak fits ``memory_limit``."""
    fixed = wwz_batched_fixed_bytes(G, N, F)
    per = wwz_batched_per_exporter_bytes(G, N)
    if memory_limit is None:
        return WWZPlan(G, N, G, G * N, fixed, per, None)
    room = memory_limit - fixed
    one_column = FLOAT * G * N  # one unit column, solved in place
    if room < max(per, one_column * N):
        need = fixed + max(per, one_column * N)
        raise ChainAtlasError(
            f"memory limit {format_bytes(memory_limit)} is below the minimum of "
            f"{format_bytes(need)} for WWZ on a {G}×{N} table (the table and the LU factors "
            f"of I − A alone take {format_bytes(fixed)}); raise --memory-limit"
        )
    exporters = max(1, min(G, room // per))
    columns = max(N, min(G * N, room // one_column))
    columns = (columns // N) * N  # whole countries per solve
    return WWZPlan(G, N, int(exporters), int(columns), fixed, per, memory_limit)


__all__ = [
    "WWZPlan",
    "format_bytes",
    "parse_memory_limit",
    "square_bytes",
    "table_bytes",
    "wwz_batched_fixed_bytes",
    "wwz_batched_per_exporter_bytes",
    "wwz_memory_plan",
    "wwz_standard_bytes",
]
