"""Solves with a shocked Leontief matrix, reusing the base table's LU (Woodbury).

Most shocks change few rows and/or columns of A: a supply cut changes the supplier's rows, a
relocation the origin's and destinations' rows, a tariff the exporters' rows, an extraction the
rows and columns of the extracted set. Writing A₁ = A + U V with U (GN×r), V (r×GN),

    (I − A₁)⁻¹ = B + BU (I_r − V BU)⁻¹ V B            (Sherman–Morrison–Woodbury)

so a solve costs one solve with the base LU plus r-sized work; BU takes r base solves. The
base LU (``model.lu_factor``) is computed once per table and shared by every shock. When the
change has high rank (r > GN/4) a fresh LU of I − A₁ is cheaper and is used instead.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg

from chainatlas.core.model import MRIOModel


class ShockedLeontief:
    """Solver for (I − A₁) z = rhs (and its transpose) with A₁ = A + ΔA of low rank."""

    def __init__(
        self,
        model: MRIOModel,
        A_new: np.ndarray,
        rows: np.ndarray | None = None,
        cols: np.ndarray | None = None,
    ):
        """``rows``/``cols``: where ΔA lives — every changed entry lies in ``rows`` (all
        columns) or in ``cols`` (all rows). Without hints the changed rows are detected.
        """
        self.model = model
        GN = model.GN
        delta = A_new - model.A
        rows = np.flatnonzero(np.any(delta != 0, axis=1)) if rows is None else np.asarray(rows)
        cols = np.array([], dtype=np.intp) if cols is None else np.asarray(cols)
        rest = np.array(delta, copy=True)
        rest[rows, :] = 0.0
        in_cols = np.zeros(GN, dtype=bool)
        in_cols[cols] = True
        valid = not np.any(rest[:, ~in_cols])
        rank = rows.size + cols.size
        self.lu_new = None
        if not valid or rank > GN // 4:
            self.lu_new = scipy.linalg.lu_factor(np.eye(GN) - A_new, check_finite=False)
            return
        # ΔA = P_R ΔA[R, :] + ΔA'[:, C] Q_Cᵀ  =  U V
        U = np.zeros((GN, rank))
        U[rows, np.arange(rows.size)] = 1.0
        U[:, rows.size :] = rest[:, cols]
        V = np.zeros((rank, GN))
        V[: rows.size] = delta[rows]
        V[rows.size + np.arange(cols.size), cols] = 1.0
        self.U, self.V = U, V
        self.BU = model.leontief_solve(U) if rank else np.zeros((GN, 0))
        self.S_lu = scipy.linalg.lu_factor(np.eye(rank) - V @ self.BU) if rank else None
        self._BtVt: np.ndarray | None = None

    @property
    def rank(self) -> int | None:
        return None if self.lu_new is not None else self.U.shape[1]

    def solve(self, rhs: np.ndarray) -> np.ndarray:
        """z with (I − A₁) z = rhs."""
        if self.lu_new is not None:
            return scipy.linalg.lu_solve(self.lu_new, rhs, check_finite=False)
        z = self.model.leontief_solve(rhs)
        if self.S_lu is None:
            return z
        correction = scipy.linalg.lu_solve(self.S_lu, self.V @ z, check_finite=False)
        return z + self.BU @ correction

    def solve_transposed(self, rhs: np.ndarray) -> np.ndarray:
        """z with (I − A₁)ᵀ z = rhs (the price model)."""
        if self.lu_new is not None:
            return scipy.linalg.lu_solve(self.lu_new, rhs, trans=1, check_finite=False)
        lu = self.model.lu_factor
        z = scipy.linalg.lu_solve(lu, rhs, trans=1, check_finite=False)
        if self.S_lu is None:
            return z
        if self._BtVt is None:
            self._BtVt = scipy.linalg.lu_solve(lu, self.V.T, trans=1, check_finite=False)
        # (Mᵀ − VᵀUᵀ)⁻¹ = Bᵀ + BᵀVᵀ (I − UᵀBᵀVᵀ)⁻¹ UᵀBᵀ, and I − UᵀBᵀVᵀ = Sᵀ
        correction = scipy.linalg.lu_solve(self.S_lu, self.U.T @ z, trans=1, check_finite=False)
        return z + self._BtVt @ correction
