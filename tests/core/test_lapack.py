"""LU factors of I − A without scipy.linalg's import, and B's diagonal blocks without B."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from chainatlas.core import lapack
from chainatlas.core.model import MRIOModel


def _blocks_of(matrix: np.ndarray, blocks: int, size: int) -> np.ndarray:
    idx = np.arange(blocks)
    return matrix.reshape(blocks, size, blocks, size)[idx, :, idx, :]


def _leontief_system(seed: int, blocks: int, size: int) -> np.ndarray:
    """I − A for a random A whose columns sum to less than 1 (value added > 0)."""
    rng = np.random.default_rng(seed)
    n = blocks * size
    A = rng.uniform(0, 1, (n, n)) * rng.uniform(0.2, 0.95, n)[None, :] / n
    A[rng.uniform(size=(n, n)) < 0.3] = 0.0  # sparse patches, as real tables have
    return np.eye(n) - A


@pytest.mark.parametrize(("seed", "blocks", "size"), [(0, 3, 2), (1, 7, 5), (2, 1, 9), (3, 12, 1)])
def test_diagonal_blocks_are_those_of_the_inverse(seed, blocks, size):
    system = _leontief_system(seed, blocks, size)
    factor = lapack.lu_factor(np.asfortranarray(system))
    got = lapack.inverse_diagonal_blocks(factor, blocks, size)
    expected = _blocks_of(np.linalg.inv(system), blocks, size)
    assert got is not None
    np.testing.assert_allclose(got, expected, rtol=1e-13, atol=1e-15)


def test_rows_exchanged_gives_none_and_the_model_falls_back_to_b():
    # a column whose A entries sum to more than 1 (negative value added) makes partial
    # pivoting exchange rows; the identity B_ss = Σ U⁻¹ L⁻¹ then does not hold
    system = np.array([[0.1, -0.9, 0.0], [-2.0, 1.0, -0.1], [0.0, -0.2, 1.0]])
    factor = lapack.lu_factor(np.asfortranarray(system))
    assert not np.array_equal(factor[1], np.arange(3))
    assert lapack.inverse_diagonal_blocks(factor, 3, 1) is None
    Z = np.eye(3) - system  # A with x = 1: Z = A
    model = MRIOModel.from_arrays(
        Z, np.ones((3, 3)), countries=["AAA", "BBB", "CCC"], sectors=["s"],
        fd_categories=["hh"], x=np.ones(3),
    )  # fmt: skip
    np.testing.assert_allclose(
        model.B_diagonal_blocks[:, 0, 0], np.diag(np.linalg.inv(system)), rtol=1e-13
    )


def test_solves_match_the_inverse_both_ways():
    system = _leontief_system(4, 4, 3)
    factor = lapack.lu_factor(np.asfortranarray(system))
    rhs = np.random.default_rng(5).normal(size=(12, 4))
    inverse = np.linalg.inv(system)
    np.testing.assert_allclose(lapack.lu_solve(factor, rhs), inverse @ rhs, rtol=1e-12)
    np.testing.assert_allclose(
        lapack.lu_solve(factor, rhs, transposed=True), inverse.T @ rhs, rtol=1e-12
    )


def test_wiod_model_blocks_and_products_without_b(wiod_dir):
    from chainatlas import sources

    lean = sources.load("wiod2013", wiod_dir, 2011, cache=False)
    dense = sources.load("wiod2013", wiod_dir, 2011, cache=False)
    blocks = lean.B_diagonal_blocks
    product = lean.leontief_product(np.asarray(lean.Y))
    origin = lean.va_origin_multipliers
    assert "B" not in lean.__dict__  # none of the three formed B
    scale = np.abs(dense.B).max()
    np.testing.assert_allclose(blocks, _blocks_of(dense.B, dense.G, dense.N), atol=1e-13 * scale)
    expected = dense.B @ dense.Y
    np.testing.assert_allclose(product, expected, rtol=0, atol=1e-12 * np.abs(expected).max())
    np.testing.assert_allclose(origin, dense.va_origin_multipliers, rtol=0, atol=1e-13)
    # every unit of output is traced to value added (METHODS §2.1), by the LU route too
    traced = origin.sum(axis=0)[np.asarray(lean.x) > 0]
    np.testing.assert_allclose(traced, 1.0, rtol=0, atol=1e-9)


def _fresh_python(code: str) -> subprocess.CompletedProcess:
    """``code`` run in a new interpreter (what it has imported is its own); must exit 0."""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done


def test_lapack_loads_without_scipy_linalg():
    code = (
        "import sys, numpy as np\n"
        "from chainatlas.core import lapack\n"
        "f = lapack.lu_factor(np.asfortranarray(np.eye(4) * 2.0))\n"
        "assert np.allclose(lapack.lu_solve(f, np.ones(4)), 0.5)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'scipy'))\n"
        "import scipy.linalg\n"
        "assert scipy.linalg.lapack._flapack is sys.modules['scipy.linalg._flapack']\n"
        "print(scipy.linalg.lu_solve(f, np.ones(4)))\n"
    )
    done = _fresh_python(code)
    first = done.stdout.splitlines()[0]
    assert first == "['scipy.linalg._flapack']", first  # neither scipy nor scipy.linalg ran
    assert "0.5" in done.stdout  # scipy.linalg, imported afterwards, works on the same factors


def test_thread_limit_covers_scipys_own_openblas_once_loaded():
    # NumPy's and SciPy's wheels each bundle an OpenBLAS; a panel limits BLAS to one thread
    # per year, and a limit set before the LU route loaded SciPy's would miss that library
    code = (
        "import numpy\n"
        "from chainatlas.core import lapack\n"
        "from chainatlas.util.threads import blas_threads\n"
        "from threadpoolctl import threadpool_info\n"
        "lapack.load()\n"
        "with blas_threads(1):\n"
        "    inside = [(i['filepath'], i['num_threads']) for i in threadpool_info()]\n"
        "print(len(inside), sorted({n for _, n in inside}))\n"
    )
    done = _fresh_python(code)
    count, threads = done.stdout.splitlines()[0].split(" ", 1)
    assert threads == "[1]" and int(count) >= 1  # every BLAS library loaded is at one thread


def test_inverse_matches_numpy_and_refuses_a_singular_matrix():
    system = _leontief_system(6, 5, 4)
    original = system.copy()
    np.testing.assert_allclose(lapack.inverse(system), np.linalg.inv(original), rtol=1e-13)
    np.testing.assert_array_equal(system, original)  # not overwritten unless asked
    in_place = np.asfortranarray(system)
    np.testing.assert_allclose(
        lapack.inverse(in_place, overwrite=True), np.linalg.inv(original), rtol=1e-13
    )
    with pytest.raises(np.linalg.LinAlgError):
        lapack.inverse(np.array([[1.0, 2.0], [2.0, 4.0]]))
