"""chainatlas — global value chains and industrial-chain security analysis.

Typical use::

    import chainatlas
    model = chainatlas.load("wiod2013", "../shared/data/wiod2013", year=2011)
    table = chainatlas.decompose(model, method="wwz", level="bilateral")
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chainatlas.errors import ChainAtlasError

if TYPE_CHECKING:
    import pandas as pd

    from chainatlas.core.model import MRIOModel
    from chainatlas.sources import available_years, load

__version__ = "0.1.0"

# Imported on first use (PEP 562): ``import chainatlas`` stays cheap (no pandas, no SciPy),
# so a command pays only for the libraries it needs.
_LAZY = {
    "MRIOModel": "chainatlas.core.model",
    "load": "chainatlas.sources",
    "available_years": "chainatlas.sources",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from importlib import import_module

        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'chainatlas' has no attribute {name!r}")


def decompose(
    model: MRIOModel, method: str = "wwz", level: str = "full", **options: object
) -> pd.DataFrame:
    """Decompose gross exports: the tidy DataFrame of
    :func:`chainatlas.decompositions.decompose` (same function, imported on first use;
    options: wide, groups, term_groups)."""
    from chainatlas.decompositions import decompose as _decompose

    return _decompose(model, method, level, **options)  # type: ignore[arg-type]


__all__ = ["ChainAtlasError", "MRIOModel", "__version__", "available_years", "decompose", "load"]
