"""Economies made of parts (core/layout.py): the padded uniform view, checked by hand."""

from __future__ import annotations

import numpy as np
import pytest

from chainatlas.core.model import MRIOModel
from chainatlas.decompositions import decomposition
from chainatlas.errors import ChainAtlasError

N = 3
PARTS = ["AAA", "BB1", "CCC", "BB2"]  # economy BBB = BB1 + BB2 (second part listed last)
PART_ECONOMY = [0, 1, 2, 1]
ECONOMIES = ["AAA", "BBB", "CCC"]


def _part_table(seed=0):
    rng = np.random.default_rng(seed)
    K = len(PARTS)
    Z = rng.uniform(1, 10, (K * N, K * N))
    Y = rng.uniform(5, 20, (K * N, len(ECONOMIES) * 2))
    return Z, Y


def _split(seed=0):
    Z, Y = _part_table(seed)
    model = MRIOModel.from_parts(
        Z,
        Y,
        countries=ECONOMIES,
        part_codes=PARTS,
        part_country=PART_ECONOMY,
        sectors=["s1", "s2", "s3"],
        fd_categories=["HH", "INV"],
        rebalance=True,
    )
    return model, Z, Y


def test_padded_view_places_each_part_and_zero_dummies():
    model, Z, Y = _split()
    assert model.layout.parts == (("AAA",), ("BB1", "BB2"), ("CCC",))
    assert model.N == 2 * N and model.industries == ("s1", "s2", "s3")
    assert model.sectors == ("s1", "s2", "s3", "s1~2", "s2~2", "s3~2")
    # padded position of every part row, by hand: economy e, part p -> (2e + p) * N + n
    slot = {0: 0, 1: 2, 2: 4, 3: 3}  # AAA, BB1, CCC, BB2
    pos = np.concatenate([slot[k] * N + np.arange(N) for k in range(len(PARTS))])
    np.testing.assert_array_equal(model.Z[np.ix_(pos, pos)], Z)
    np.testing.assert_array_equal(model.Y_full[pos], Y)
    dummy = np.setdiff1d(np.arange(model.GN), pos)
    assert not model.x[dummy].any() and not model.v[dummy].any()
    assert not any("zero output" in n for n in model.validation.notes)  # dummies not reported
    # B: the inverse of the part-level table, scattered; dummy rows are unit rows
    x = Z.sum(axis=1) + Y.sum(axis=1)
    B_parts = np.linalg.inv(np.eye(len(x)) - Z / x[None, :])
    np.testing.assert_allclose(model.B[np.ix_(pos, pos)], B_parts, rtol=1e-12)
    np.testing.assert_array_equal(model.B[np.ix_(dummy, dummy)], np.eye(dummy.size))
    assert not model.B[np.ix_(dummy, pos)].any() and not model.B[np.ix_(pos, dummy)].any()
    # exports: BB1 -> BB2 is domestic, so BBB's exports are its parts' sales to AAA and CCC
    E = model.exports
    bb_rows = np.r_[slot[1] * N : slot[1] * N + N, slot[3] * N : slot[3] * N + N]
    to_aaa = Z[N : 2 * N, 0:N].sum(axis=1) + Y[N : 2 * N, 0:2].sum(axis=1)
    np.testing.assert_allclose(E[bb_rows[:N], 0], to_aaa, rtol=1e-12)
    assert not E[bb_rows, 1].any()


def test_merge_parts_is_the_hand_aggregated_table():
    model, Z, Y = _split()
    merged = model.merge_parts()
    assert merged.layout is None and merged.sectors == ("s1", "s2", "s3")
    S = np.zeros((3 * N, 4 * N))
    for k, e in enumerate(PART_ECONOMY):
        S[e * N : (e + 1) * N, k * N : (k + 1) * N] = np.eye(N)
    np.testing.assert_allclose(merged.Z, S @ Z @ S.T, rtol=1e-13)
    np.testing.assert_allclose(merged.Y_full, S @ Y, rtol=1e-13)
    assert merged.source_countries == ("AAA", "BB1+BB2", "CCC")


def test_decompositions_exact_on_padding_and_sum_to_exports():
    model, _, _ = _split()
    for method in ("wwz", "bm-source-terms", "bm-adb"):
        d = decomposition(model, method)
        dummy = ~model.layout.real
        for values in d.terms.values():
            assert not values[dummy].any()  # exactly 0, not merely small
        total = sum(d.term_rows(t) for t in d.terms)
        np.testing.assert_allclose(
            total, model.layout.collapse_rows(model.exports), rtol=1e-11, atol=1e-9
        )
        assert d.report_sectors == ("s1", "s2", "s3")
        assert len(d.to_frame("sector")) == len(d.terms) * 3 * N


def test_uniform_parts_cost_nothing_and_keep_arrays():
    rng = np.random.default_rng(1)
    Z = rng.uniform(1, 10, (3 * N, 3 * N))
    Y = rng.uniform(5, 20, (3 * N, 3))
    options = dict(sectors=["s1", "s2", "s3"], fd_categories=["FD"], rebalance=True)
    plain = MRIOModel.from_arrays(Z, Y, countries=ECONOMIES, **options)
    parts = MRIOModel.from_parts(
        Z, Y, countries=ECONOMIES, part_codes=ECONOMIES, part_country=[0, 1, 2], **options
    )
    assert parts.layout is None
    np.testing.assert_array_equal(parts.Z, plain.Z)
    # the same rows listed in another order: still one part each, reordered, no padding
    order = [2, 0, 1]
    rows = np.concatenate([np.arange(k * N, (k + 1) * N) for k in order])
    shuffled = MRIOModel.from_parts(
        Z[np.ix_(rows, rows)],
        Y[rows],
        countries=ECONOMIES,
        part_codes=[ECONOMIES[k] for k in order],
        part_country=order,
        **options,
    )
    assert shuffled.layout is None
    np.testing.assert_allclose(shuffled.Z, plain.Z, rtol=0)


def test_merge_economies_makes_a_group_one_exporter():
    rng = np.random.default_rng(2)
    Z = rng.uniform(1, 10, (3 * N, 3 * N))
    Y = rng.uniform(5, 20, (3 * N, 3))
    model = MRIOModel.from_arrays(
        Z, Y, countries=ECONOMIES, sectors=["s1", "s2", "s3"], fd_categories=["FD"],
        rebalance=True,
    )  # fmt: skip
    group = model.merge_economies({"AB": ["AAA", "BBB", "ZZZ"]})  # ZZZ absent: ignored
    assert group.countries == ("AB", "CCC")
    assert group.parts() == (("AAA", "BBB"), ("CCC",))
    # the group's exports are the members' sales to CCC only
    ab_to_c = Z[: 2 * N, 2 * N :].sum() + Y[: 2 * N, 2].sum()
    assert group.exports.sum(axis=0)[1] == pytest.approx(ab_to_c, rel=1e-12)
    assert group.exports[:, 0][group.layout.real[: 2 * N].nonzero()[0]].sum() == 0
    d = decomposition(group, "wwz")
    np.testing.assert_allclose(
        sum(d.aggregate(t, "country") for t in d.terms), group.exports.sum(axis=1)
        .reshape(2, -1).sum(axis=1), rtol=1e-11,
    )  # fmt: skip
    with pytest.raises(ChainAtlasError, match="none of"):
        model.merge_economies({"X": ["ZZZ"]})
    with pytest.raises(ChainAtlasError, match="in both"):
        model.merge_economies({"X": ["AAA"], "Y": ["AAA", "CCC"]})
    with pytest.raises(ChainAtlasError, match="split economies; aggregate after merge_parts"):
        group.aggregate({"W": ["AB", "CCC"]})
