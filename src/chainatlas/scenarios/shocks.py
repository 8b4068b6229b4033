"""The models behind each shock kind (METHODS §14; Miller & Blair 2009 ch. 2, 12).

Quantity shocks produce a :class:`Outcome`: the counterfactual gross output, value added, final
demand and intermediate flows, plus the split of Δx into the first-round impulse, propagation
inside the same country and propagation through other countries. Both quantity models are
written as x = M x + d:

* Leontief (demand-driven): M = A, d = y (final demand). Δx = (I − M₁)⁻¹ f with the impulse
  f = Δd + ΔM x₀ (exact: x₁ − x₀ = (I − M₁)⁻¹ (d₁ − (I − M₁) x₀)).
* Ghosh (supply-driven, allocation): M = Ĝᵀ with Ĝ = x̂⁻¹Z, d = va.

The split uses the block-diagonal "local" inverse of the shocked M: L₁ f is what the impulse
does inside each country; (I − M₁)⁻¹ f − L₁ f is what reaches a country through (and back
from) other countries.

Value added: Leontief shocks keep the base VA coefficients (ΔVA = v̂ Δx, Miller & Blair's
convention for extraction and supply cuts: inputs that are cut are not turned into domestic
value added). Ghosh shocks take value added as exogenous (ΔVA = Δva) and rebuild a balanced
table with fixed allocation shares, final demand being the residual of sales.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.linalg

from chainatlas.core.model import MRIOModel, ValidationReport
from chainatlas.errors import ChainAtlasError
from chainatlas.scenarios.lowrank import ShockedLeontief

GHOSH_NOTE = (
    "Ghosh (supply-side) model: read the results as the allocation of a change in primary "
    "inputs along fixed sales shares, not as a causal supply response. It assumes buyers "
    "absorb whatever is allocated to them (perfect substitutability of inputs) and lets input "
    "ratios change arbitrarily; joint stability with the Leontief model holds only in special "
    "cases (Oosterhaven 1988; Dietzenbacher 1997; Miller & Blair 2009 §12.1)."
)
LEONTIEF_NOTE = (
    "Leontief (demand-driven) model with fixed input coefficients and fixed value-added "
    "ratios: no substitution between suppliers, no price or capacity response; value added "
    "changes as v̂Δx (inputs that are cut are not replaced)."
)


@dataclass
class Outcome:
    """A quantity shock's counterfactual table and the split of the change in output."""

    model_kind: str  # "leontief" | "ghosh" | "constrained"
    x_new: np.ndarray  # (GN,)
    va_new: np.ndarray  # (GN,)
    A_new: np.ndarray  # (GN, GN) input coefficients of the counterfactual table
    Y_full_new: np.ndarray  # (GN, G*F)
    impulse: np.ndarray  # (GN,) first-round change f
    local: np.ndarray  # (GN,) L₁ f: impulse plus propagation inside the country
    dx: np.ndarray  # (GN,) total change in gross output
    va_impulse: np.ndarray  # (GN,) part of ΔVA from the impulse (incl. Δva for Ghosh)
    va_local: np.ndarray  # (GN,) impulse + domestic propagation, in VA
    solver: ShockedLeontief | None = None  # solves with I − A_new (Leontief shocks)
    exports_direct: np.ndarray | None = None  # first-round export change, where not Leontief
    notes: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------- propagation
def _negative_output_notes(model: MRIOModel, x_new: np.ndarray) -> list[str]:
    """Flag country-sectors pushed below zero output (a shock beyond the linear model)."""
    scale = np.maximum(np.abs(model.x), 1.0)
    negative = np.flatnonzero((x_new < -1e-9 * scale) & (model.x >= 0))
    if not negative.size:
        return []
    shown = ", ".join(
        f"{model.countries[i // model.N]}.{model.sectors[i % model.N]} ({x_new[i]:.6g})"
        for i in negative[:5]
    )
    return [
        f"WARNING: {negative.size} country-sector(s) have negative output in the counterfactual "
        f"({shown}{', …' if negative.size > 5 else ''}): the shock is too large for the linear "
        "model; read the results with care"
    ]


def _local_solve(M_new: np.ndarray, impulse: np.ndarray, G: int, N: int) -> np.ndarray:
    """Block-diagonal solve (I − M_ss) z_s = f_s for every country s at once."""
    blocks = M_new.reshape(G, N, G, N)
    idx = np.arange(G)
    diagonal = blocks[idx, :, idx, :]  # (G, N, N)
    system = np.eye(N)[None] - diagonal
    return np.linalg.solve(system, impulse.reshape(G, N, 1)).reshape(-1)


def leontief_outcome(
    model: MRIOModel,
    A_new: np.ndarray,
    Y_full_new: np.ndarray,
    rows: np.ndarray | None = None,
    cols: np.ndarray | None = None,
) -> Outcome:
    """Counterfactual of a demand-driven shock: new A and/or new final demand.

    ``rows``/``cols`` say where A changed (see :class:`ShockedLeontief`) so solves reuse the
    base table's LU.
    """
    y_new = Y_full_new.sum(axis=1)
    solver = ShockedLeontief(model, A_new, rows=rows, cols=cols)
    dA_x = (A_new - model.A) @ model.x if solver.rank != 0 else 0.0
    impulse = (y_new - model.y) + dA_x
    dx = solver.solve(impulse)
    local = _local_solve(A_new, impulse, model.G, model.N)
    x_new = model.x + dx
    v = model.v
    return Outcome(
        model_kind="leontief",
        x_new=x_new,
        va_new=v * x_new,
        A_new=A_new,
        Y_full_new=Y_full_new,
        impulse=impulse,
        local=local,
        dx=dx,
        va_impulse=v * impulse,
        va_local=v * local,
        solver=solver,
        notes=[LEONTIEF_NOTE, *_negative_output_notes(model, x_new)],
    )


def allocation_coefficients(model: MRIOModel) -> np.ndarray:
    """Ĝ = x̂⁻¹ Z (row i: shares of i's output sold to each user; 0 where x = 0)."""
    return model.Z * model.inverse_output[:, None]


def ghosh_outcome(model: MRIOModel, G_new: np.ndarray, va_new: np.ndarray) -> Outcome:
    """Counterfactual of a supply-driven shock: new allocation coefficients and/or new va.

    x₁ᵀ = va₁ᵀ (I − Ĝ₁)⁻¹. The counterfactual table is Z₁ = x̂₁ Ĝ₁; final demand is the residual
    x₁ − Z₁u, split over destinations and categories in the base proportions of each row.
    """
    impulse = (va_new - model.va) + (G_new - allocation_coefficients(model)).T @ model.x
    lu = scipy.linalg.lu_factor(np.eye(model.GN) - G_new, check_finite=False)
    dx = scipy.linalg.lu_solve(lu, impulse, trans=1, check_finite=False)
    local = _local_solve(np.ascontiguousarray(G_new.T), impulse, model.G, model.N)
    x_new = model.x + dx
    Z_new = x_new[:, None] * G_new
    final_new = x_new - Z_new.sum(axis=1)
    Y_full_new, unassigned = _spread_final_change(model, final_new - model.Y_full.sum(axis=1))
    notes = [GHOSH_NOTE, *_negative_output_notes(model, x_new)]
    if unassigned:
        notes.append(
            f"{unassigned} row(s) had no base final demand to split their residual final sales "
            "by; it went to the producing country's own final demand (first category)"
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        inv_x = np.where(x_new != 0, 1.0 / np.where(x_new != 0, x_new, 1.0), 0.0)
    A_new = Z_new * inv_x[None, :]
    dva = va_new - model.va
    # In VA terms the impulse is the exogenous Δva; propagation leaves VA unchanged.
    return Outcome(
        model_kind="ghosh",
        x_new=x_new,
        va_new=va_new.copy(),
        A_new=A_new,
        Y_full_new=Y_full_new,
        impulse=impulse,
        local=local,
        dx=dx,
        va_impulse=dva,
        va_local=dva,
        notes=notes,
    )


def _spread_final_change(model: MRIOModel, change: np.ndarray) -> tuple[np.ndarray, int]:
    """Add each row's change in final sales to Y in the row's base proportions.

    Proportions are Y_ik / y_i; a row whose base cells cancel (y_i = 0 with some cells
    non-zero, e.g. negative inventories) uses |Y_ik| / Σ|Y_ik|; a row with no final demand at
    all puts the change on its own country's first category. Rows with no change keep their
    base cells exactly.
    """
    Y = model.Y_full
    total = Y.sum(axis=1)
    absolute = np.abs(Y).sum(axis=1)
    weights = np.zeros_like(Y)
    regular = total != 0
    weights[regular] = Y[regular] / total[regular, None]
    cancelling = ~regular & (absolute > 0)
    weights[cancelling] = np.abs(Y[cancelling]) / absolute[cancelling, None]
    empty = np.flatnonzero(absolute == 0)
    weights[empty, model.country_of_row[empty] * model.F] = 1.0
    tolerance = 1e-9 * np.maximum(np.abs(model.x[empty]), 1.0)
    unassigned = int(np.count_nonzero(np.abs(change[empty]) > tolerance))
    return Y + weights * change[:, None], unassigned


# ---------------------------------------------------------------------- shock kinds
def _selected_cells(rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.ix_(rows, cols)


def apply_demand(model: MRIOModel, p: dict) -> Outcome:
    """Δy on the selected producer rows × final-demand columns (relative or an amount)."""
    Y_new = np.array(model.Y_full, copy=True)
    cells = _selected_cells(p["rows"], p["fd_columns"])
    if p.get("change") is not None:
        Y_new[cells] *= 1.0 + p["change"]
    else:
        base = model.Y_full[cells]
        total = base.sum()
        if total == 0:
            raise ChainAtlasError(
                "demand shock with an amount on cells whose base final demand is 0: nothing to "
                "distribute it over; give change instead or select other cells"
            )
        Y_new[cells] += p["amount"] * base / total
    return leontief_outcome(model, np.array(model.A), Y_new, rows=np.array([], dtype=np.intp))


def apply_supply(model: MRIOModel, p: dict) -> Outcome:
    """Ghosh: change in primary inputs (value added) of the selected country-sectors."""
    va_new = np.array(model.va, copy=True)
    rows = p["rows"]
    if p.get("change") is not None:
        va_new[rows] *= 1.0 + p["change"]
    else:
        total = model.va[rows].sum()
        if total == 0:
            raise ChainAtlasError("supply shock with an amount on rows whose value added is 0")
        va_new[rows] += p["amount"] * model.va[rows] / total
    return ghosh_outcome(model, allocation_coefficients(model), va_new)


def apply_extraction(model: MRIOModel, p: dict) -> Outcome:
    """Hypothetical extraction of the country-sectors K (Miller & Blair 2009 §12.2).

    total: rows and columns of K zeroed in A and y_K = 0 (Leontief).
    backward: K buys no inputs from outside K (A[not K, K] = 0; Leontief).
    forward: K sells no inputs outside K (Ĝ[K, not K] = 0; Ghosh, as Miller & Blair's
    supply-side forward-linkage measure).
    """
    K = p["rows"]
    outside = np.setdiff1d(np.arange(model.GN), K)
    mode = p["mode"]
    if mode == "forward":
        G_new = allocation_coefficients(model)
        G_new[np.ix_(K, outside)] = 0.0
        outcome = ghosh_outcome(model, G_new, np.array(model.va))
        outcome.notes.append(
            "forward extraction: the extracted country-sectors sell no intermediates outside "
            "the extracted set; the loss is measured in gross output (Ghosh), value added is "
            "exogenous in that model"
        )
        return outcome
    A_new = np.array(model.A, copy=True)
    Y_new = np.array(model.Y_full, copy=True)
    if mode == "total":
        A_new[K, :] = 0.0
        A_new[:, K] = 0.0
        Y_new[K, :] = 0.0
        rows, cols = K, K
        note = (
            "total extraction: the extracted country-sectors neither buy, sell nor deliver "
            "final goods"
        )
    else:
        A_new[np.ix_(outside, K)] = 0.0
        rows, cols = np.array([], dtype=np.intp), K
        note = (
            "backward extraction: the extracted country-sectors buy no intermediates outside the "
            "extracted set (their purchases are treated as coming from outside the system)"
        )
    outcome = leontief_outcome(model, A_new, Y_new, rows=rows, cols=cols)
    outcome.notes.append(note)
    return outcome


def apply_supply_cut(model: MRIOModel, p: dict) -> Outcome:
    """Scale flows from supplier rows to user columns by ``factor`` (1 − cut share)."""
    factor, flows = p["factor"], p["flows"]
    rows, cols, fd_cols = p["supplier_rows"], p["user_columns"], p["user_fd_columns"]
    if p["propagation"] == "ghosh":
        G_new = allocation_coefficients(model)
        G_new[np.ix_(rows, cols)] *= factor
        outcome = ghosh_outcome(model, G_new, np.array(model.va))
        outcome.notes.append(
            "supply cut propagated forward (Ghosh): users receive fewer inputs and pass the "
            "shortfall on along their own sales shares; the supplier's output is set by its "
            "own inputs, so what it no longer sells as intermediates goes to its final sales "
            "(spread over its final-demand destinations in base proportions — part of it shows "
            "up as final-goods exports)"
        )
        return outcome
    A_new = np.array(model.A, copy=True)
    Y_new = np.array(model.Y_full, copy=True)
    if flows in ("intermediate", "both"):
        A_new[np.ix_(rows, cols)] *= factor
    if flows in ("final", "both"):
        Y_new[np.ix_(rows, fd_cols)] *= factor
    changed_rows = rows if flows in ("intermediate", "both") else np.array([], dtype=np.intp)
    outcome = leontief_outcome(model, A_new, Y_new, rows=changed_rows)
    outcome.notes.append(
        "supply cut (Leontief): users keep their output plans and simply buy less from the "
        "supplier; the fall propagates backward to the supplier and its own suppliers"
    )
    return outcome


def relocation_weights(model: MRIOModel, p: dict) -> np.ndarray:
    """(len(sectors), len(destinations)) shares of each moved sector going to each destination."""
    destinations, sectors = p["destinations"], p["sectors"]
    weights = p["weights"]
    if isinstance(weights, list | tuple):
        return np.tile(np.asarray(weights, dtype=float), (len(sectors), 1))
    if weights == "equal":
        return np.full((len(sectors), len(destinations)), 1.0 / len(destinations))
    output = model.x.reshape(model.G, model.N)[np.ix_(destinations, sectors)].T
    totals = output.sum(axis=1, keepdims=True)
    if np.any(totals <= 0):
        bad = [model.sectors[s] for s, t in zip(sectors, totals[:, 0], strict=True) if t <= 0]
        raise ChainAtlasError(
            f"relocation weights by output: destinations produce nothing in {', '.join(bad)}; "
            'give weights = "equal" or explicit shares'
        )
    return output / totals


def apply_relocation(model: MRIOModel, p: dict) -> Outcome:
    """Move ``share`` of the origin's sales (to the buyers) of each sector to the destinations.

    The destinations' sector j supplies what the origin's sector j no longer supplies to the
    same buyers, produced with the destinations' own input coefficients and value-added
    ratios (their columns of A are untouched). Buyers' column sums of A are unchanged, so the
    table stays balanced and world final demand is conserved (only its suppliers change).
    """
    N, share = model.N, p["share"]
    origin_rows = p["origin"] * N + p["sectors"]
    weights = relocation_weights(model, p)  # (S, D)
    dest_rows = p["destinations"][None, :] * N + p["sectors"][:, None]  # (S, D)
    A_new = np.array(model.A, copy=True)
    Y_new = np.array(model.Y_full, copy=True)
    if p["flows"] in ("intermediate", "both"):
        cols = p["buyer_columns"]
        moved = share * A_new[np.ix_(origin_rows, cols)]  # (S, C)
        A_new[np.ix_(origin_rows, cols)] -= moved
        for d in range(dest_rows.shape[1]):  # a handful of destinations: BLAS-free adds
            A_new[np.ix_(dest_rows[:, d], cols)] += weights[:, d : d + 1] * moved
    if p["flows"] in ("final", "both"):
        cols = p["buyer_fd_columns"]
        moved = share * Y_new[np.ix_(origin_rows, cols)]
        Y_new[np.ix_(origin_rows, cols)] -= moved
        for d in range(dest_rows.shape[1]):
            Y_new[np.ix_(dest_rows[:, d], cols)] += weights[:, d : d + 1] * moved
    changed = np.unique(np.concatenate([origin_rows, dest_rows.reshape(-1)]))
    outcome = leontief_outcome(model, A_new, Y_new, rows=changed)
    outcome.notes.append(
        "relocation: destinations produce the moved sales with their own input structure and "
        "value-added ratios; buyers' input coefficients and world final demand are unchanged; "
        "no capacity limits, price differences or transition costs are modelled"
    )
    return outcome


def counterfactual_model(model: MRIOModel, outcome: Outcome) -> MRIOModel:
    """The shocked table as a validated model (Z₁ = A₁x̂₁, final demand Y₁, output x₁).

    Its value added is x₁ − Z₁'u, i.e. the table's own accounting; for Leontief supply cuts
    and backward extraction that differs from the v̂x₁ reported in results (see module doc).
    """
    # Built directly (not via from_arrays): the base table was validated, and its kept
    # rounding artefacts (row totals of -1 where output is 0) would be rejected again.
    Z_new = outcome.A_new * outcome.x_new[None, :]
    arrays = {
        "Z": Z_new,
        "Y_full": outcome.Y_full_new,
        "x": outcome.x_new,
        "va": outcome.x_new - Z_new.sum(axis=0),
    }
    for value in arrays.values():
        value.setflags(write=False)
    gap = outcome.x_new - Z_new.sum(axis=1) - outcome.Y_full_new.sum(axis=1)
    scale = np.maximum(np.abs(outcome.x_new), 1.0)
    report = ValidationReport(
        zero_output=tuple(
            f"{model.countries[i // model.N]}.{model.sectors[i % model.N]}"
            for i in np.flatnonzero(outcome.x_new == 0)
        ),
        balance_gap=pd.DataFrame(
            {
                "country": np.repeat(model.countries, model.N),
                "sector": np.tile(model.sectors, model.G),
                "x": outcome.x_new,
                "row_total": outcome.x_new - gap,
                "gap": gap,
                "rel_gap": gap / scale,
            }
        ),
        notes=(f"counterfactual of {model.describe()} ({outcome.model_kind} shock)",),
    )
    return dataclasses.replace(model, **arrays, published_va=None, validation=report)


QUANTITY_SHOCKS = {
    "demand": apply_demand,
    "supply": apply_supply,
    "extraction": apply_extraction,
    "supply_cut": apply_supply_cut,
    "relocation": apply_relocation,
}
