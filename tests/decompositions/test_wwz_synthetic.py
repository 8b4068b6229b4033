"""WWZ, KWW and TiVA against slow loop implementations written straight from the formulas of
METHODS §4.1–§4.3, on small hand-built tables (independent of the vectorised block algebra)."""

from __future__ import annotations

import numpy as np
import pytest

from chainatlas.core.model import MRIOModel
from chainatlas.decompositions.kww import KWW_TERMS, kww
from chainatlas.decompositions.tiva import TIVA_TERMS, tiva, tiva_indicators
from chainatlas.decompositions.wwz import WWZ_TERMS, wwz, wwz_to_kww

TOL = 1e-12  # relative to the largest gross export flow


def make_table(G: int, N: int, seed: int, *, zero_output_trader: bool = False) -> MRIOModel:
    """Random balanced G×N table with two FD categories (one partly negative, like inventories)."""
    rng = np.random.default_rng(seed)
    GN = G * N
    Z = rng.uniform(0.0, 10.0, (GN, GN))
    Y = np.zeros((GN, G * 2))
    Y[:, 0::2] = rng.uniform(5.0, 40.0, (GN, G))  # household consumption
    Y[:, 1::2] = rng.uniform(-2.0, 3.0, (GN, G))  # changes in inventories
    if zero_output_trader:
        # last sector of country 0: no inputs, sells 2 abroad and has -2 inventories at home
        k = N - 1
        Z[:, k] = 0.0
        Z[k, :] = 0.0
        Y[k, :] = 0.0
        Y[k, 2 * 1] = 2.0
        Y[k, 1] = -2.0
    return MRIOModel.from_arrays(
        Z,
        Y,
        countries=[f"C{i}" for i in range(G)],
        sectors=[f"s{j}" for j in range(N)],
        fd_categories=["HH", "INV"],
        inventory_category="INV",
        year=2000,
        source="synthetic",
    )


class Blocks:
    """Explicit N×N blocks and N-vectors, indexed by country, for the loop references."""

    def __init__(self, m: MRIOModel):
        G, N = m.G, m.N
        self.G, self.N = G, N
        sl = [slice(i * N, (i + 1) * N) for i in range(G)]
        self.A = [[m.A[sl[s], sl[r]] for r in range(G)] for s in range(G)]
        B = np.linalg.inv(np.eye(m.GN) - m.A)  # own inverse, not the model's LU
        self.B = [[B[sl[s], sl[r]] for r in range(G)] for s in range(G)]
        self.L = [np.linalg.inv(np.eye(N) - self.A[s][s]) for s in range(G)]
        self.v = [m.v[sl[s]] for s in range(G)]
        self.x = [m.x[sl[s]] for s in range(G)]
        Y = m.Y_full.reshape(m.GN, G, 2).sum(axis=2)
        self.Y = [[Y[sl[s], r] for r in range(G)] for s in range(G)]
        self.E = [
            [np.zeros(N) if r == s else self.A[s][r] @ self.x[r] + self.Y[s][r] for r in range(G)]
            for s in range(G)
        ]
        self.e = [sum(self.E[s][r] for r in range(G)) for s in range(G)]


def wwz_loops(b: Blocks) -> dict[str, np.ndarray]:
    """(G, G, N) per term, exporter s × importer r × exporting sector, by explicit loops."""
    G, N, A, B, L, v, Y = b.G, b.N, b.A, b.B, b.L, b.v, b.Y
    out = {name: np.zeros((G, G, N)) for name in WWZ_TERMS}
    for s in range(G):
        vB = v[s] @ B[s][s]
        vL = v[s] @ L[s]
        for r in range(G):
            if r == s:
                continue
            others = [t for t in range(G) if t not in (s, r)]
            Asr = A[s][r]
            vrB = v[r] @ B[r][s]
            ova = sum((v[t] @ B[t][s] for t in others), np.zeros(N))
            LYrr = L[r] @ Y[r][r]
            Ler = L[r] @ b.e[r]
            terms = {
                "DVA_FIN": vB * Y[s][r],
                "DVA_INT": vL * (Asr @ B[r][r] @ Y[r][r]),
                "DVA_INTrexI1": vL * (Asr @ sum((B[r][t] @ Y[t][t] for t in others), np.zeros(N))),
                "DVA_INTrexF": vL * (Asr @ B[r][r] @ sum((Y[r][t] for t in others), np.zeros(N))),
                "DVA_INTrexI2": vL
                * (
                    Asr
                    @ sum(
                        (
                            B[r][t] @ sum(Y[t][u] for u in range(G) if u not in (s, t))
                            for t in others
                        ),
                        np.zeros(N),
                    )
                ),
                "RDV_FIN": vL * (Asr @ B[r][r] @ Y[r][s]),
                "RDV_FIN2": vL * (Asr @ sum((B[r][t] @ Y[t][s] for t in others), np.zeros(N))),
                "RDV_INT": vL * (Asr @ B[r][s] @ Y[s][s]),
                "DDC_FIN": vL * (Asr @ B[r][s] @ sum(Y[s][u] for u in range(G) if u != s)),
                "DDC_INT": (vB - vL) * (Asr @ b.x[r]),
                "MVA_FIN": vrB * Y[s][r],
                "OVA_FIN": ova * Y[s][r],
                "MVA_INT": vrB * (Asr @ LYrr),
                "OVA_INT": ova * (Asr @ LYrr),
                "MDC": vrB * (Asr @ Ler),
                "ODC": ova * (Asr @ Ler),
            }
            for name, value in terms.items():
                out[name][s, r] = value
    return out


def kww_loops(b: Blocks) -> dict[str, np.ndarray]:
    G, A, B, L, v, Y, e = b.G, b.A, b.B, b.L, b.v, b.Y, b.e
    out = {name: np.zeros(G) for name in KWW_TERMS}
    for s in range(G):
        partners = [r for r in range(G) if r != s]
        Ys_exp = sum(Y[s][r] for r in partners)
        foreign = sum(v[t] @ B[t][s] for t in partners)
        returning = sum(v[s] @ B[s][r] @ A[r][s] for r in partners)
        out["DVA_FIN"][s] = v[s] @ B[s][s] @ Ys_exp
        out["DVA_INT"][s] = sum(v[s] @ B[s][r] @ Y[r][r] for r in partners)
        out["DVA_INTrex"][s] = sum(
            v[s] @ B[s][r] @ Y[r][t] for r in partners for t in partners if t != r
        )
        out["RDV_FIN"][s] = sum(v[s] @ B[s][r] @ Y[r][s] for r in partners)
        out["RDV_INT"][s] = returning @ L[s] @ Y[s][s]
        out["DDC"][s] = returning @ L[s] @ e[s]
        out["FVA_FIN"][s] = foreign @ Ys_exp
        out["FVA_INT"][s] = foreign @ sum(A[s][r] @ L[r] @ Y[r][r] for r in partners)
        out["FDC"][s] = foreign @ sum(A[s][r] @ L[r] @ e[r] for r in partners)
    return out


def tiva_loops(b: Blocks) -> dict[str, np.ndarray]:
    G, N, B, L, v = b.G, b.N, b.B, b.L, b.v
    out = {name: np.zeros((G, G, N)) for name in TIVA_TERMS}
    for s in range(G):
        contribution = np.diag(v[s]) @ L[s]  # v̂_s L_ss: row = VA source sector
        own = np.diag(contribution)
        foreign = sum(v[t] @ B[t][s] for t in range(G) if t != s)
        for r in range(G):
            if r == s:
                continue
            E = b.E[s][r]
            out["EXGR_DVA"][s, r] = (v[s] @ B[s][s]) * E
            out["EXGR_DDC"][s, r] = own * E
            out["EXGR_IDC"][s, r] = (contribution.sum(axis=0) - own) * E
            out["EXGR_RIM"][s, r] = (v[s] @ (B[s][s] - L[s])) * E
            out["EXGR_FVA"][s, r] = foreign * E
    return out


def as_cube(values: np.ndarray, G: int, N: int) -> np.ndarray:
    return values.reshape(G, N, G).transpose(0, 2, 1)


@pytest.mark.parametrize(("G", "N", "seed"), [(3, 2, 1), (4, 3, 7), (5, 2, 11)])
def test_wwz_equals_loop_reference(G, N, seed):
    m = make_table(G, N, seed)
    b = Blocks(m)
    expected = wwz_loops(b)
    result = wwz(m)
    scale = np.abs(m.exports).max()
    for name in WWZ_TERMS:
        gap = np.abs(as_cube(result.terms[name], G, N) - expected[name]).max()
        assert gap < TOL * scale, name
    # and the loop reference itself obeys the §4.3 adding-up identity
    total = sum(expected.values())
    assert np.abs(total - as_cube(m.exports, G, N)).max() < TOL * scale


@pytest.mark.parametrize(("G", "N", "seed"), [(3, 2, 1), (4, 3, 7)])
def test_kww_equals_loop_reference_and_mapping(G, N, seed):
    m = make_table(G, N, seed)
    expected = kww_loops(Blocks(m))
    result = kww(m)
    mapped = wwz_to_kww(wwz(m))
    scale = np.abs(m.exports).sum()
    for name in KWW_TERMS:
        assert np.abs(result.terms[name] - expected[name]).max() < TOL * scale, name
        assert np.abs(mapped.terms[name] - expected[name]).max() < TOL * scale, name


@pytest.mark.parametrize(("G", "N", "seed"), [(3, 2, 1), (4, 3, 7)])
def test_tiva_equals_loop_reference(G, N, seed):
    m = make_table(G, N, seed)
    expected = tiva_loops(Blocks(m))
    result = tiva(m)
    scale = np.abs(m.exports).max()
    for name in TIVA_TERMS:
        gap = np.abs(as_cube(result.terms[name], G, N) - expected[name]).max()
        assert gap < TOL * scale, name


def test_tiva_indicators_by_hand():
    m = make_table(3, 2, 5)
    b = Blocks(m)
    G = m.G
    table = tiva_indicators(m)
    value = table.set_index(["exporter", "partner", "term"])["value"]
    for s in range(G):
        for t in range(G):
            if t == s:
                continue
            # DEXFVAP: VA of origin t in s's total exports; FEXDVAP: s's VA in t's exports
            dexfvap = b.v[t] @ b.B[t][s] @ b.e[s]
            fexdvap = b.v[s] @ b.B[s][t] @ b.e[t]
            assert value[(f"C{s}", f"C{t}", "DEXFVAP")] == pytest.approx(dexfvap, rel=1e-12)
            assert value[(f"C{s}", f"C{t}", "FEXDVAP")] == pytest.approx(fexdvap, rel=1e-12)
        # VAX_s = VA of s absorbed by final demand abroad
        vax = sum(b.v[s] @ b.B[s][j] @ b.Y[j][r] for r in range(G) if r != s for j in range(G))
        totals = table[table["partner"].isna()].set_index(["exporter", "term"])["value"]
        assert totals[(f"C{s}", "VAX")] == pytest.approx(vax, rel=1e-12)
        assert totals[(f"C{s}", "VAX_ratio")] == pytest.approx(vax / b.e[s].sum(), rel=1e-12)


def test_zero_output_sector_that_trades_is_reported():
    """A sector with zero output but exports (rounded tables) has no VA: its exports are in
    no term, and the result says how much is missing instead of hiding it."""
    m = make_table(3, 2, 3, zero_output_trader=True)
    assert m.x[1] == 0 and m.total_exports[1] == 2.0
    result = wwz(m)
    total = sum(result.terms.values())
    assert np.all(total[1] == 0.0)
    others = np.ones(m.GN, dtype=bool)
    others[1] = False
    scale = np.abs(m.exports).max()
    assert np.abs(total[others] - m.exports[others]).max() < TOL * scale
    assert any("terms sum to gross exports minus 2 " in note for note in result.notes)
    assert any("C0.s1" in note for note in result.notes)
    assert any("minus 2 " in note for note in kww(m).notes)
    assert any("minus 2 " in note for note in tiva(m).notes)
    clean = wwz(make_table(3, 2, 3))
    assert not any("terms sum to gross exports minus" in note for note in clean.notes)
