"""How many threads the BLAS library (OpenBLAS, MKL, BLIS) may use, for a block of code.

A caller that runs its own threads side by side (a panel decomposing two years at once) limits
BLAS to one thread each: on two cores, LAPACK's inverse of WIOD's 1,435 rows takes 0.21 s of CPU
on one thread and 0.28 s on two, and two BLAS teams on two cores would oversubscribe them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator


@contextlib.contextmanager
def blas_threads(limit: int) -> Iterator[None]:
    """Within the block, BLAS calls of this process use at most ``limit`` threads."""
    from threadpoolctl import threadpool_limits  # imported on use: it inspects loaded libraries

    with threadpool_limits(limits=limit, user_api="blas"):
        yield
