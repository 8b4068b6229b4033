"""LU factors of I − A and what they give without forming B: solves and B's diagonal blocks.

The routines are SciPy's LAPACK wrappers (``dgetrf``, ``dgetrs``, ``dtrtri``). Importing
``scipy.linalg`` costs 0.18-0.21 s (it loads the whole package: decompositions, matrix
functions, sparse tools), more than the work on WIOD's 1,435 rows, so the wrapper module is
loaded on its own (4 ms; SciPy's package start-up is not run); where that is not possible,
through ``scipy.linalg.lapack``.

**Diagonal blocks of B without B.** With I − A = L U (no row exchanges), B = U⁻¹ L⁻¹ with U⁻¹
upper and L⁻¹ lower triangular, so for the rows and columns of country s (a:b)

    B_ss = Σ_{k ≥ a} U⁻¹[a:b, k] L⁻¹[k, a:b]

— the two triangular inverses (n³/3 flops each) and G thin products, against getri's 4n³/3
after the same factorisation: 0.13 s instead of 0.21-0.27 s for WIOD on one thread. I − A is
diagonally dominant by columns wherever a column of A sums to at most 1 (value added ≥ 0), and
partial pivoting then exchanges no rows (its multipliers are at most 1 in size: Golub & Van
Loan, Matrix Computations, 4th ed., Theorem 3.4.3);
where it did exchange rows (a table with negative value added), :func:`inverse_diagonal_blocks`
returns None and the caller takes the blocks of the full inverse.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np

_MODULE = "scipy.linalg._flapack"


def load() -> ModuleType:
    """SciPy's LAPACK wrapper module, loaded once. Its OpenBLAS is not NumPy's (each wheel
    bundles its own): load it before limiting BLAS threads, or the limit misses it."""
    return _load()


def _load() -> ModuleType:
    loaded = sys.modules.get(_MODULE)
    if loaded is not None:
        return loaded
    if "scipy.linalg" not in sys.modules:
        try:
            # where SciPy is, without running its start-up (20 ms); on a platform where the
            # wrapper cannot load that way (its DLL search set up by SciPy), the fallback below
            spec = importlib.util.find_spec("scipy")
            if spec is None or spec.origin is None:
                raise ImportError("scipy")
            folder = Path(spec.origin).parent / "linalg"
            for suffix in importlib.machinery.EXTENSION_SUFFIXES:
                path = folder / f"_flapack{suffix}"
                if path.exists():
                    spec = importlib.util.spec_from_file_location(_MODULE, path)
                    if spec is None or spec.loader is None:
                        break
                    module = importlib.util.module_from_spec(spec)
                    spec.loader.exec_module(module)
                    # scipy.linalg, when imported later, finds and reuses this module object
                    sys.modules[_MODULE] = module
                    return module
        except Exception:  # an unusual SciPy layout: the ordinary import below
            sys.modules.pop(_MODULE, None)
    from scipy.linalg import lapack

    return lapack._flapack


def lu_factor(matrix: np.ndarray, *, overwrite: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(lu, piv) of a square matrix, as ``scipy.linalg.lu_factor`` returns them.

    A Fortran-ordered float64 ``matrix`` with ``overwrite=True`` is factorised in place.
    """
    lu, piv, info = _load().dgetrf(matrix, overwrite_a=int(overwrite))
    if info < 0:  # pragma: no cover - an argument error is a bug here
        raise ValueError(f"dgetrf: illegal argument {-info}")
    # info > 0: U has an exact zero pivot; solves then give inf, as scipy's lu_factor would
    return lu, piv


def lu_solve(
    factor: tuple[np.ndarray, np.ndarray], rhs: np.ndarray, *, transposed: bool = False
) -> np.ndarray:
    """X with M X = rhs (Mᵀ X = rhs when ``transposed``), M given by its :func:`lu_factor`."""
    lu, piv = factor
    solution, info = _load().dgetrs(lu, piv, rhs, trans=int(transposed))
    if info != 0:  # pragma: no cover - an argument error is a bug here
        raise ValueError(f"dgetrs: illegal argument {-info}")
    return solution


def inverse(matrix: np.ndarray, *, overwrite: bool = False) -> np.ndarray:
    """M⁻¹ by LAPACK's getrf + getri (2n³ flops). ``numpy.linalg.inv`` solves against the
    identity instead (8n³/3): 0.15-0.18 s against 0.10 s for WIOD's 1,435 rows on two cores.
    A Fortran-ordered float64 ``matrix`` with ``overwrite=True`` is inverted in place.
    Raises ``numpy.linalg.LinAlgError`` for a singular matrix, as NumPy does."""
    flapack = _load()
    lu, piv, info = flapack.dgetrf(matrix, overwrite_a=int(overwrite))
    if info > 0:
        raise np.linalg.LinAlgError("Singular matrix")
    work, _ = flapack.dgetri_lwork(lu.shape[0])
    result, info = flapack.dgetri(lu, piv, lwork=max(1, int(work)), overwrite_lu=1)
    if info != 0:  # pragma: no cover - a zero pivot is caught by getrf above
        raise np.linalg.LinAlgError("Singular matrix")
    return result


def inverse_diagonal_blocks(
    factor: tuple[np.ndarray, np.ndarray], blocks: int, size: int
) -> np.ndarray | None:
    """The ``blocks`` diagonal (size × size) blocks of M⁻¹ from M's LU factors, (blocks, size,
    size); None when the factorisation exchanged rows (the identity above needs P = I)."""
    lu, piv = factor
    n = lu.shape[0]
    if n != blocks * size or not np.array_equal(piv, np.arange(n, dtype=piv.dtype)):
        return None
    flapack = _load()
    # U⁻¹ and L⁻¹ fill the same triangles as U and L, and dtrtri inverts one triangle in place
    # leaving the other as it is: both inverses share one copy of the factors (L⁻¹'s unit
    # diagonal is implicit), one GN×GN buffer rather than two
    inverses = np.array(lu, order="F")
    inverses, info_u = flapack.dtrtri(inverses, lower=0, unitdiag=0, overwrite_c=1)
    inverses, info_l = flapack.dtrtri(inverses, lower=1, unitdiag=1, overwrite_c=1)
    if info_u != 0 or info_l != 0:  # a zero pivot: U is singular, no inverse to take blocks of
        return None
    diagonal = np.empty((blocks, size, size))
    own_upper = np.triu(np.ones((size, size), dtype=bool))
    own_lower = np.tril(np.ones((size, size), dtype=bool), -1)
    for block in range(blocks):  # G thin BLAS products; their flops are N·n² in all
        a, b = block * size, (block + 1) * size
        own = inverses[a:b, a:b]
        u_own = np.where(own_upper, own, 0.0)
        l_own = np.where(own_lower, own, 0.0)
        l_own[np.diag_indices(size)] = 1.0
        diagonal[block] = u_own @ l_own
        if b < n:  # U⁻¹[a:b, b:] lies above the diagonal, L⁻¹[b:, a:b] below it
            diagonal[block] += inverses[a:b, b:] @ inverses[b:, a:b]
    return diagonal
