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
    model: MRIOModel, method: str = "wwz", level: str = "full", *, wide: bool = False
) -> pd.DataFrame:
    """Decompose gross exports and return the tidy table at ``level``.

    method: tiva, kww, wwz, bm-source, bm-sink, bm-adb; level: full, bilateral, sector,
    country, world. Long columns: year, exporter, importer, sector, term, value (minus the
    columns the level aggregates away).
    """
    from chainatlas.decompositions import decompose as _decompose

    return _decompose(model, method).to_frame(level, wide=wide)


__all__ = ["ChainAtlasError", "MRIOModel", "__version__", "available_years", "decompose", "load"]
