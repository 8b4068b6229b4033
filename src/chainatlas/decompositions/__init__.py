"""Gross-export decompositions (METHODS §3–§4).

``decompose(model, method)`` returns a :class:`Decomposition`; ``.to_frame(level)`` gives the
tidy table. Methods: tiva, kww, wwz, bm-source, bm-sink, bm-adb, bm-source-terms,
bm-sink-terms.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from chainatlas.decompositions.levels import LEVELS
from chainatlas.errors import ChainAtlasError

if TYPE_CHECKING:
    from chainatlas.core.model import MRIOModel
    from chainatlas.decompositions.tidy import Decomposition


def __getattr__(name: str) -> Any:  # PEP 562: the CLI lists METHODS without importing NumPy
    if name == "Decomposition":
        from chainatlas.decompositions.tidy import Decomposition

        return Decomposition
    raise AttributeError(f"module 'chainatlas.decompositions' has no attribute {name!r}")

# method name -> (module, function); modules are imported on first use
METHODS: dict[str, tuple[str, str]] = {
    "tiva": ("chainatlas.decompositions.tiva", "tiva"),
    "kww": ("chainatlas.decompositions.kww", "kww"),
    "wwz": ("chainatlas.decompositions.wwz", "wwz"),
    "bm-source": ("chainatlas.decompositions.borin_mancini", "bm_source"),
    "bm-sink": ("chainatlas.decompositions.borin_mancini", "bm_sink"),
    "bm-adb": ("chainatlas.decompositions.borin_mancini", "bm_adb"),
    # the additive fine terms of exvatools' bm_src / bm_snk (VAX1..4, REF1-2, DDC, FVA1..4, FDC)
    "bm-source-terms": ("chainatlas.decompositions.borin_mancini", "bm_source_terms"),
    "bm-sink-terms": ("chainatlas.decompositions.borin_mancini", "bm_sink_terms"),
}


def decompose(model: MRIOModel, method: str = "wwz") -> Decomposition:
    """Decompose the gross exports of ``model`` with ``method``."""
    key = method.lower()
    if key not in METHODS:
        raise ChainAtlasError(
            f"unknown decomposition method {method!r}; choose one of {', '.join(METHODS)}"
        )
    module, function = METHODS[key]
    return getattr(import_module(module), function)(model)


__all__ = ["LEVELS", "METHODS", "Decomposition", "decompose"]
