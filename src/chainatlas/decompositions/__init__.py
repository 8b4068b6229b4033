"""Gross-export decompositions.

``decompose(model, method, level, groups=…, term_groups=…)`` returns the tidy DataFrame (with
``attrs``: units, table, release, year, method, notes) — the same function as
``chainatlas.decompose``; ``decomposition(model, method)`` returns the :class:`Decomposition`
object behind it (``.to_frame(level)``, ``.aggregate(term, level)``). Methods: tiva, kww, wwz,
bm-source, bm-sink, bm-adb, bm-source-terms, bm-sink-terms.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from importlib import import_module
from typing import TYPE_CHECKING, Any

from chainatlas.decompositions.levels import LEVELS
from chainatlas.errors import ChainAtlasError

if TYPE_CHECKING:
    import pandas as pd

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


def decomposition(model: MRIOModel, method: str = "wwz") -> Decomposition:
    """The :class:`Decomposition` of the gross exports of ``model`` with ``method``."""
    key = method.lower()
    if key not in METHODS:
        raise ChainAtlasError(
            f"unknown decomposition method {method!r}; choose one of {', '.join(METHODS)}"
        )
    module, function = METHODS[key]
    return getattr(import_module(module), function)(model)


def decompose(
    model: MRIOModel,
    method: str = "wwz",
    level: str = "full",
    *,
    wide: bool = False,
    groups: Sequence[str] | Mapping[str, Sequence[str]] | None = None,
    term_groups: bool = False,
) -> pd.DataFrame:
    """Decompose gross exports and return the tidy table at ``level``.

    method: tiva, kww, wwz, bm-source, bm-sink, bm-adb (…); level: full, bilateral, sector,
    country, world. Long columns: year, exporter, importer, sector, term, value (minus the
    columns the level aggregates away). ``groups``: country groups (``["NEA", "ASEAN-9"]`` or
    {name: codes}) that exporters and importers are summed into, over the members present in
    the table (absent ones named in ``attrs["notes"]``); ``term_groups``: sum the terms into
    DVA, RDV, FVA and PDC. ``attrs``: units, table, release, year, method, level, notes.
    """
    from chainatlas.decompositions.grouping import apply_groups, apply_term_groups
    from chainatlas.util.labels import describe_result

    result = decomposition(model, method)
    grouped = groups is not None or term_groups
    frame = result.to_frame(level, wide=wide and not grouped)
    describe_result(frame, model, method=result.method, level=level, notes=result.notes)
    if term_groups:
        frame = apply_term_groups(frame, method)
    if groups is not None:
        frame = apply_groups(frame, groups, model.countries, model.year)
    if wide and grouped:
        keys = [c for c in frame.columns if c not in ("term", "value")]
        wide_frame = frame.pivot_table(index=keys, columns="term", values="value", sort=False)
        wide_frame = wide_frame.reset_index().rename_axis(columns=None)
        wide_frame.attrs = dict(frame.attrs)
        frame = wide_frame
    return frame


__all__ = ["LEVELS", "METHODS", "Decomposition", "decompose", "decomposition"]
