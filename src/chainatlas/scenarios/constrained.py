"""Supply-constrained propagation: inputs that cannot be substituted within the period.

The demand-driven Leontief model lets every user of a cut input keep its output and buy less
from the supplier; disruption studies (bottleneck / inoperability models; Pichler & Farmer 2022,
Inoue & Todo 2019, Guan et al. 2020) instead let a user's output fall with its scarcest input
(Leontief production function) and the shortage travel downstream. This module solves that
model as a fixed point, vectorised over all country-sectors. Definitions (docs/scenarios.md):

* **Orders.** Every producer plans the output its buyers ask for, p, and orders inputs for it.
  With the cut flows treated as in the demand-driven model (buyers order φ of a cut flow from
  the supplier), p solves p = A_φ p + y_φ: today's Leontief supply-cut solution.
* **The cut.** The supplier delivers at most a share φ_ij = 1 + change of each selected buyer's
  order (intermediate cells i→j, final cells i→(country, category)); other cells φ = 1.
* **Feasibility θ_j ∈ [0, 1]**: the share of its planned output producer j can make. A producer
  with θ_i < 1 has θ_i P_i to share among its orders P_i = Σ_j a_ij p_j + Σ_k f_ik (uncut orders)
  and rations them (``rationing``): ``proportional`` (every buyer gets θ_i of its order),
  ``final_last`` (intermediate users first, final demand gets the rest) or ``final_first``
  (final demand first). A cut cell gets the smaller of φ_ij and the rationing share: the cut
  and the supplier's own shortage each cap the same deliveries, they do not compound.
* **Substitution σ ∈ [0, 1]** (``substitution``): a share σ of any shortfall in the deliveries
  of input i (country-sector) to j is replaced by the same product from other origins outside
  the modelled constraint (as the demand-driven model's lower input coefficient is); the
  effective delivered share is g(ρ) = ρ + σ(1 − ρ). σ = 0 is the pure Leontief bottleneck,
  σ = 1 removes every input constraint and the model *is* today's Leontief supply cut.
* **Binding inputs.** Only inputs with a_ij > 0 and a share of at least ``min_input_share`` of
  j's intermediate inputs can bind. θ_j = min(1, min_i g(ρ_ij)); the input attaining the
  minimum is j's binding input.
* **Fixed point.** θ⁰ = 1, θᵗ⁺¹ = F(θᵗ). F is monotone (deliveries rise with the suppliers' θ),
  so θᵗ decreases to the largest fixed point; iteration stops when max |θᵗ⁺¹ − θᵗ| ≤
  ``tolerance`` or after ``max_iterations`` (both reported).
* **Output** is what a producer delivers: x_i = Σ_j ρ_ij a_ij p_j + Σ_k ρᶠ_ik f_ik (≤ θ_i P_i).
  Inputs delivered beyond what a constrained producer can use are reported as unused
  (they are not turned into output or value added). Value added: base VA ratios, v̂x.

Split (like the other quantity shocks): ``direct`` = the first round (the cut alone binds, at
orders x₀ + f with f the demand-model impulse); ``local`` = the fixed point when shortages and
orders travel only inside each country (plus the cut cells themselves); the rest reaches a
country through other countries.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from chainatlas.core.model import MRIOModel
from chainatlas.errors import ChainAtlasError
from chainatlas.scenarios.shocks import Outcome, leontief_outcome

RATIONING_RULES = ("proportional", "final_last", "final_first")

CONSTRAINED_NOTE = (
    "supply-constrained model (Leontief production function): a producer's output is limited "
    "by its scarcest input relative to what it ordered for its planned output; shortages travel "
    "downstream; orders are placed for the demand-driven (Leontief) plan; value added changes "
    "as v̂Δx; inputs a constrained producer receives but cannot use are not turned into output"
)


@dataclass
class ConstrainedSolution:
    """The fixed point of one supply-constrained shock (arrays over GN unless noted)."""

    theta: np.ndarray  # feasibility share of planned output
    planned: np.ndarray  # p: planned output (orders; the Leontief solution)
    x: np.ndarray  # output delivered
    x_free: np.ndarray  # what the same orders would give with no input constraint
    delivered_intermediate: np.ndarray  # (GN, GN) Z₁: ρ_ij a_ij p_j
    delivered_final: np.ndarray  # (GN, G*F) Y₁: ρᶠ_ik f_ik
    binding_input: np.ndarray  # row index of j's binding input (-1: none binds)
    binding_share: np.ndarray  # g(ρ) of the binding input (1 where none binds)
    iterations: int
    max_change: float
    converged: bool
    unused_inputs: np.ndarray  # (GN,) Σ_i delivered_ij − a_ij x_j (inputs received, not used)
    notes: list[str] = field(default_factory=list)
    exports: np.ndarray | None = None  # gross exports (the batch's light solve)


class ConstrainedSolver:
    """Fixed point of the supply-constrained model on one base table (reusable per shock)."""

    def __init__(self, model: MRIOModel, min_input_share: float = 0.0):
        self.model = model
        A = np.asarray(model.A)
        self.A = A
        inputs = A.sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(inputs > 0, A / np.where(inputs > 0, inputs, 1.0), 0.0)
        # binds[i, j]: input i can limit j's output
        self.binds = (A > 0) & (share >= min_input_share)
        Y = np.asarray(model.Y_full)
        self.Y = Y
        self.Y_pos = np.where(Y > 0, Y, 0.0)  # negative cells (inventory draws) are not orders
        own = model.country_of_row
        self.domestic = own[:, None] == own[None, :]

    # -------------------------------------------------------------- rationing
    @staticmethod
    def _shares(
        theta: np.ndarray, R: np.ndarray, F: np.ndarray, rule: str
    ) -> tuple[np.ndarray, np.ndarray]:
        """(δᴵ, δᶠ): delivered shares of intermediate and final orders for available θ·(R + F)."""
        if rule == "proportional":
            return theta, theta
        available = theta * (R + F)
        with np.errstate(divide="ignore", invalid="ignore"):
            if rule == "final_last":
                d_int = np.where(R > 0, np.minimum(1.0, available / np.where(R > 0, R, 1)), 1.0)
                rest = np.maximum(available - R, 0.0)
                d_fin = np.where(F > 0, np.minimum(1.0, rest / np.where(F > 0, F, 1)), 1.0)
            else:  # final_first
                d_fin = np.where(F > 0, np.minimum(1.0, available / np.where(F > 0, F, 1)), 1.0)
                rest = np.maximum(available - F, 0.0)
                d_int = np.where(R > 0, np.minimum(1.0, rest / np.where(R > 0, R, 1)), 1.0)
        unconstrained = theta >= 1.0
        d_int = np.where(unconstrained, 1.0, d_int)
        d_fin = np.where(unconstrained, 1.0, d_fin)
        return d_int, d_fin

    def _theta_map(self, d_int, phi_rows, phi, substitution, binds, cut_cols):
        """θ = min(1, min_i g(ρ_ij)) over binding inputs (two passes over GN×GN).

        A cut cell's share min(φ, δᵢ) is at most δᵢ, so the column minimum is the minimum of
        the plain shares and, on the cut columns, of the cut cells' shares.
        """
        low = np.where(binds, d_int[:, None], 1.0).min(axis=0)
        if phi_rows.size and cut_cols.size:
            cells = np.ix_(phi_rows, cut_cols)
            cut = np.where(binds[cells], np.minimum(phi, d_int[phi_rows][:, None]), 1.0)
            low[cut_cols] = np.minimum(low[cut_cols], cut.min(axis=0))
        effective = low + substitution * (1.0 - low)
        return np.minimum(effective, 1.0), None, effective

    def solve(
        self,
        planned: np.ndarray,
        phi_rows: np.ndarray,
        phi_cols: np.ndarray,
        phi: np.ndarray,
        phi_fd_cols: np.ndarray,
        phi_final: float,
        *,
        substitution: float = 0.0,
        rationing: str = "proportional",
        tolerance: float = 1e-10,
        max_iterations: int = 1000,
        local: bool = False,
        rounds: int | None = None,
        light: bool = False,
    ) -> ConstrainedSolution:
        """Fixed point for planned output ``planned`` and the cut φ on rows × columns.

        ``phi`` is the delivered share on the cut cells (phi_rows × phi_cols); final cells
        phi_rows × phi_fd_cols get ``phi_final``. ``local``: shortages travel only between
        producers of the same country (the cut cells still bind). ``rounds``: stop after
        that many rounds (1 = only the cut binds: the first round).
        """
        if rationing not in RATIONING_RULES:
            raise ChainAtlasError(f"unknown rationing rule {rationing!r}")
        A = self.A
        GN = A.shape[0]
        binds = self.binds
        if local:
            binds = binds & self.domestic
            if phi_rows.size and phi_cols.size:
                binds = np.array(binds)
                cut = np.zeros_like(binds)
                cut[np.ix_(phi_rows, phi_cols)] = True
                binds |= cut & self.binds
        R = A @ planned  # intermediate orders of each supplier (uncut)
        F = self.Y_pos.sum(axis=1)
        theta = np.ones(GN)
        iterations, change = 0, 0.0
        cap = max_iterations if rounds is None else rounds
        converged = False
        arg = np.full(GN, -1, dtype=np.intp)
        effective = np.ones(GN)
        while iterations < cap:
            d_int, _ = self._shares(theta, R, F, rationing)
            new, arg, effective = self._theta_map(
                d_int, phi_rows, phi, substitution, binds, phi_cols
            )
            new = np.minimum(new, theta)  # monotone from above (guards rounding)
            change = float(np.max(np.abs(new - theta))) if GN else 0.0
            theta = new
            iterations += 1
            if change <= tolerance:
                converged = True
                break
        if rounds is not None:
            converged = True
        d_int, d_fin = self._shares(theta, R, F, rationing)
        if light:  # the batch: output and exports only, no GN×GN tables
            return self._light(
                theta, planned, d_int, d_fin, phi_rows, phi_cols, phi, phi_fd_cols, phi_final,
                iterations, change, converged,
            )  # fmt: skip
        Z1 = A * planned[None, :] * d_int[:, None]
        Y1 = self.Y * np.where(self.Y > 0, d_fin[:, None], 1.0)
        if phi_rows.size:
            if phi_cols.size:
                cells = np.ix_(phi_rows, phi_cols)
                share = np.minimum(phi, d_int[phi_rows][:, None])
                Z1[cells] = A[cells] * planned[phi_cols][None, :] * share
            if phi_fd_cols.size:
                cells = np.ix_(phi_rows, phi_fd_cols)
                base = self.Y[cells]
                share = np.minimum(phi_final, d_fin[phi_rows][:, None])
                # negative cells (inventory draws) scale with the cut as in the demand model
                Y1[cells] = base * np.where(base > 0, share, phi_final)
        x = Z1.sum(axis=1) + Y1.sum(axis=1)
        x_free = self._free_output(planned, phi_rows, phi_cols, phi, phi_fd_cols, phi_final)
        # planned output of the binding-limited producer: θ_j p_j is what it can make
        # binding input: among the inputs at the minimum share (ties are common: a shortage
        # spreads the same θ), the one with the largest input coefficient
        arg = np.full(GN, -1, dtype=np.intp)
        if np.any(effective < 1.0):
            masked = np.where(binds, d_int[:, None], 1.0)
            if phi_rows.size and phi_cols.size:
                masked[phi_rows[:, None], phi_cols[None, :]] = np.minimum(
                    phi, d_int[phi_rows][:, None]
                )
            at_min = binds & (masked <= masked.min(axis=0, keepdims=True) + 1e-12)
            arg = np.argmax(np.where(at_min, A, -1.0), axis=0)
        binding = np.where(effective < 1.0, arg, -1)
        used = A * (theta * planned)[None, :]
        unused = np.maximum(Z1 - used, 0.0).sum(axis=0)
        return ConstrainedSolution(
            theta=theta,
            planned=planned,
            x=x,
            x_free=x_free,
            delivered_intermediate=Z1,
            delivered_final=Y1,
            binding_input=binding,
            binding_share=np.where(binding >= 0, effective, 1.0),
            iterations=iterations,
            max_change=change,
            converged=converged,
            unused_inputs=unused,
        )

    def _light(self, theta, planned, d_int, d_fin, rows, cols, phi, fd_cols, phi_final,
               iterations, change, converged) -> ConstrainedSolution:  # fmt: skip
        """x and gross exports from row sums, without the GN×GN delivery tables (batch)."""
        A, Y = self.A, self.Y
        model = self.model
        if not hasattr(self, "_foreign_A"):
            self._foreign_A = np.where(self.domestic, 0.0, A)
            fd_country = np.repeat(np.arange(model.G), model.F)
            self._foreign_fd = model.country_of_row[:, None] != fd_country[None, :]
        scale_fin = np.where(Y > 0, d_fin[:, None], 1.0)
        Y1 = Y * scale_fin
        x = d_int * (A @ planned)
        exports = d_int * (self._foreign_A @ planned)
        if rows.size and cols.size:
            share = np.minimum(phi, d_int[rows][:, None])
            lost = A[np.ix_(rows, cols)] * planned[cols][None, :] * (d_int[rows][:, None] - share)
            x[rows] -= lost.sum(axis=1)
            foreign = ~self.domestic[np.ix_(rows, cols)]
            exports[rows] -= (lost * foreign).sum(axis=1)
        if rows.size and fd_cols.size:
            base = Y[np.ix_(rows, fd_cols)]
            share = np.minimum(phi_final, d_fin[rows][:, None])
            Y1[np.ix_(rows, fd_cols)] = base * np.where(base > 0, share, phi_final)
        x = x + Y1.sum(axis=1)
        exports = exports + np.where(self._foreign_fd, Y1, 0.0).sum(axis=1)
        empty = np.zeros((0, 0))
        return ConstrainedSolution(
            theta=theta, planned=planned, x=x, x_free=x, delivered_intermediate=empty,
            delivered_final=Y1, binding_input=np.full(theta.size, -1),
            binding_share=np.ones(theta.size), iterations=iterations, max_change=change,
            converged=converged, unused_inputs=np.zeros(theta.size), exports=exports,
        )  # fmt: skip

    def _free_output(self, planned, rows, cols, phi, fd_cols, phi_final) -> np.ndarray:
        """Deliveries A_φ p + Y_φ u with no input constraint (θ = 1)."""
        x = self.A @ planned + self.Y.sum(axis=1)
        if rows.size and cols.size:
            x[rows] -= (self.A[np.ix_(rows, cols)] * (1.0 - phi) * planned[cols][None, :]).sum(1)
        if rows.size and fd_cols.size:
            base = self.Y[np.ix_(rows, fd_cols)]
            x[rows] -= (base * (1.0 - phi_final)).sum(axis=1)
        return x


def _cut_arrays(model: MRIOModel, p: Mapping[str, Any]):
    flows = p["flows"]
    rows = np.asarray(p["supplier_rows"], dtype=np.intp)
    cols = np.asarray(p["user_columns"], dtype=np.intp)
    fd_cols = np.asarray(p["user_fd_columns"], dtype=np.intp)
    if flows == "final":
        cols = np.array([], dtype=np.intp)
    if flows == "intermediate":
        fd_cols = np.array([], dtype=np.intp)
    return rows, cols, fd_cols, float(p["factor"])


def apply_supply_constrained(
    model: MRIOModel, p: Mapping[str, Any], solver: ConstrainedSolver | None = None
) -> tuple[Outcome, ConstrainedSolution]:
    """Run one supply-constrained shock; returns the Outcome (for the tidy tables) and the
    fixed point (θ, binding inputs, convergence)."""
    factor = float(p["factor"])
    if factor > 1.0:
        raise ChainAtlasError(
            "a supply-constrained shock cuts supply: change must be in [-1, 0] (use kind = "
            '"supply_cut" for an increase)'
        )
    rows, cols, fd_cols, phi = _cut_arrays(model, p)
    # Planned output: the demand-driven solution with the cut coefficients (today's model).
    A_new = np.array(model.A, copy=True)
    Y_new = np.array(model.Y_full, copy=True)
    if cols.size:
        A_new[np.ix_(rows, cols)] *= phi
    if fd_cols.size:
        Y_new[np.ix_(rows, fd_cols)] *= phi
    leontief = leontief_outcome(model, A_new, Y_new, rows=rows if cols.size else np.array([], int))
    planned = leontief.x_new
    solver = solver or ConstrainedSolver(model, p.get("min_input_share", 0.0))
    options = {
        "substitution": float(p.get("substitution", 0.0)),
        "rationing": p.get("rationing", "proportional"),
        "tolerance": float(p.get("tolerance", 1e-10)),
        "max_iterations": int(p.get("max_iterations", 1000)),
    }
    cut = (rows, cols, np.full((rows.size, cols.size), phi), fd_cols, phi)
    total = solver.solve(planned, *cut, **options)
    x0 = np.asarray(model.x)
    first = solver.solve(x0, *cut, **options, rounds=1)  # the cut alone, at base orders
    local = solver.solve(x0 + leontief.local, *cut, **options, local=True)
    v = model.v
    # Δx = (p − x₀) + bottleneck loss; the split applies the same rule to the first round
    # (impulse f at base orders) and the domestic-only run (L₁f), so σ = 1 gives the
    # demand model's split exactly.
    dx = total.x - x0
    direct = leontief.impulse + (first.x - first.x_free)
    local_dx = leontief.local + (local.x - local.x_free)
    outcome = Outcome(
        model_kind="constrained",
        x_new=total.x,
        va_new=v * total.x,
        A_new=total.delivered_intermediate
        * np.where(total.x > 0, 1.0 / np.where(total.x > 0, total.x, 1.0), 0.0)[None, :],
        Y_full_new=total.delivered_final,
        impulse=direct,
        local=local_dx,
        dx=dx,
        va_impulse=v * direct,
        va_local=v * local_dx,
        notes=[CONSTRAINED_NOTE],
    )
    outcome.exports_direct = _exports(model, first) - np.asarray(model.total_exports)
    status = "converged" if total.converged else "DID NOT CONVERGE"
    outcome.notes.append(
        f"fixed point {status} after {total.iterations} iteration(s): max |Δθ| = "
        f"{total.max_change:.3g} (tolerance {options['tolerance']:g}, cap "
        f"{options['max_iterations']}); substitution σ = {options['substitution']:g}, "
        f"rationing {options['rationing']}, min_input_share {p.get('min_input_share', 0.0):g}"
    )
    constrained = int(np.count_nonzero(total.theta < 1 - 1e-12))
    outcome.notes.append(
        f"{constrained} of {model.GN} country-sectors are input-constrained (θ < 1); "
        f"lowest θ {float(total.theta.min()):.6g}; inputs delivered but not usable: "
        f"{float(total.unused_inputs.sum()):,.0f} ({model.units})"
    )
    if not total.converged:
        outcome.notes.append(
            "WARNING: the iteration cap was reached before the tolerance; raise "
            "max_iterations or loosen tolerance"
        )
    total.notes = list(outcome.notes)
    return outcome, total


def _exports(model: MRIOModel, solution: ConstrainedSolution) -> np.ndarray:
    """Gross exports of each country-sector from delivered flows."""
    G, N, F = model.G, model.N, model.F
    Z = solution.delivered_intermediate.reshape(model.GN, G, N).sum(axis=2)
    Y = solution.delivered_final.reshape(model.GN, G, F).sum(axis=2)
    E = Z + Y
    E[np.arange(model.GN), model.country_of_row] = 0.0
    return E.sum(axis=1)


def binding_table(model: MRIOModel, solution: ConstrainedSolution, labels: dict) -> Any:
    """One row per input-constrained country-sector: θ, the binding input and its share."""
    import pandas as pd

    constrained = np.flatnonzero(solution.theta < 1 - 1e-12)
    arg = solution.binding_input[constrained]
    N = model.N
    countries = np.asarray(model.countries)
    sectors = np.asarray(model.sectors)
    frame = pd.DataFrame(
        {
            "country": countries[constrained // N],
            "sector": sectors[constrained % N],
            "theta": solution.theta[constrained],
            "planned_output": solution.planned[constrained],
            "output": solution.x[constrained],
            "binding_input_country": np.where(arg >= 0, countries[np.maximum(arg, 0) // N], ""),
            "binding_input_sector": np.where(arg >= 0, sectors[np.maximum(arg, 0) % N], ""),
            "binding_effective_share": solution.binding_share[constrained],
            "unused_inputs": solution.unused_inputs[constrained],
        }
    )
    frame["value"] = frame["theta"]
    for i, (name, value) in enumerate(labels.items()):
        frame.insert(i, name, value)
    return frame


__all__ = [
    "CONSTRAINED_NOTE",
    "RATIONING_RULES",
    "ConstrainedSolution",
    "ConstrainedSolver",
    "apply_supply_constrained",
    "binding_table",
]


class ConstrainedBatch:
    """Country-level effects of many supply-constrained cuts on one table.

    The plan p of each cut comes from Sherman–Morrison–Woodbury on the base inverse (as in
    :class:`~chainatlas.scenarios.batch.SupplyCutBatch`); the fixed point reuses one
    :class:`ConstrainedSolver` (binding-input masks built once). Measures: gross output,
    GDP (v̂x) and gross exports; no split and no VAX (use a scenario run for those).
    """

    def __init__(self, model: MRIOModel):
        self.model = model
        self.B = model.B
        self._solvers: dict[float, ConstrainedSolver] = {}
        G, N = model.G, model.N
        self.base = {
            "gross_output": np.asarray(model.x).reshape(G, N).sum(axis=1),
            "gdp": np.asarray(model.va).reshape(G, N).sum(axis=1),
            "exports": np.asarray(model.total_exports).reshape(G, N).sum(axis=1),
        }

    def _solver(self, share: float) -> ConstrainedSolver:
        if share not in self._solvers:
            self._solvers[share] = ConstrainedSolver(self.model, share)
        return self._solvers[share]

    def _planned(self, rows, cols, fd_cols, phi) -> np.ndarray:
        model = self.model
        k = rows.size
        x = np.asarray(model.x)
        if not k:
            return x.copy()
        D = np.zeros((k, model.GN))
        if cols.size:
            D[:, cols] = (phi - 1.0) * model.A[np.ix_(rows, cols)]
        dy = (
            (phi - 1.0) * model.Y_full[np.ix_(rows, fd_cols)].sum(axis=1)
            if fd_cols.size
            else np.zeros(k)
        )
        B_K = self.B[:, rows]
        S = np.eye(k) - D @ B_K
        solved = np.linalg.solve(S, D @ (x + B_K @ dy))
        return x + B_K @ (dy + solved)

    def effect(
        self, params: Mapping[str, Any]
    ) -> tuple[dict[str, np.ndarray], ConstrainedSolution]:
        model = self.model
        rows, cols, fd_cols, phi = _cut_arrays(model, params)
        planned = self._planned(rows, cols, fd_cols, phi)
        solver = self._solver(float(params.get("min_input_share", 0.0)))
        solution = solver.solve(
            planned,
            rows,
            cols,
            np.full((rows.size, cols.size), phi),
            fd_cols,
            phi,
            substitution=float(params.get("substitution", 0.0)),
            rationing=params.get("rationing", "proportional"),
            tolerance=float(params.get("tolerance", 1e-10)),
            max_iterations=int(params.get("max_iterations", 1000)),
            light=True,
        )
        G, N = model.G, model.N
        dx = solution.x - np.asarray(model.x)
        exports = solution.exports
        effect = {
            "gross_output": dx.reshape(G, N).sum(axis=1),
            "gdp": (model.v * dx).reshape(G, N).sum(axis=1),
            "exports": (exports - np.asarray(model.total_exports)).reshape(G, N).sum(axis=1),
        }
        return effect, solution

    def run(self, cuts) -> Any:
        """Cuts written like ``[[shocks]]`` entries of kind supply_constrained (plus an id).

        Returns a long table: scenario, country, measure, base, change, pct_change,
        iterations, converged.
        """
        import pandas as pd

        from chainatlas.scenarios.spec import ScenarioError, parse_scenario, resolve_shocks

        shocks = []
        for i, cut in enumerate(cuts, 1):
            entry = dict(cut)
            entry.setdefault("kind", "supply_constrained")
            entry.setdefault("id", f"cut{i}")
            if entry["kind"] != "supply_constrained":
                raise ScenarioError([f"shocks[{i}].kind: the batch takes supply_constrained only"])
            shocks.append(entry)
        model = self.model
        spec = parse_scenario(
            {"table": {"source": model.source, "year": model.year or 0}, "shocks": shocks},
            origin="batch",
        )
        resolved = resolve_shocks(spec, model)
        measures = list(self.base)
        G = model.G
        frames = []
        for shock in resolved:
            effect, solution = self.effect(shock.params)
            for measure in measures:
                base = self.base[measure]
                with np.errstate(divide="ignore", invalid="ignore"):
                    pct = np.where(
                        base != 0, 100 * effect[measure] / np.where(base != 0, base, 1), np.nan
                    )
                frames.append(
                    pd.DataFrame(
                        {
                            "scenario": shock.spec.id,
                            "country": model.countries,
                            "measure": measure,
                            "base": base,
                            "change": effect[measure],
                            "pct_change": pct,
                            "iterations": solution.iterations,
                            "converged": solution.converged,
                        }
                    )
                )
        if not frames:
            return pd.DataFrame()
        table = pd.concat(frames, ignore_index=True)
        assert len(table) == len(resolved) * len(measures) * G
        return table
