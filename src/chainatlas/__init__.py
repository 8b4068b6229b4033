"""chainatlas — global value chains and industrial-chain security analysis.

Typical use::

    import chainatlas
    model = chainatlas.load("wiod2013", "../shared/data/wiod2013", year=2011)
    table = chainatlas.decompose(model, method="wwz", level="bilateral")
"""

from __future__ import annotations

import pandas as pd

from chainatlas.core.model import MRIOModel
from chainatlas.errors import ChainAtlasError
from chainatlas.sources import available_years, load

__version__ = "0.1.0"


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
