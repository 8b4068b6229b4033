"""Data sources: loaders of published MRIO tables, each returning a validated MRIOModel.

Use :func:`load` with a source name (``chainatlas.sources.source_names()`` lists them).
"""

from __future__ import annotations

import os
from pathlib import Path

from chainatlas.core.model import MRIOModel
from chainatlas.sources import wiod_r  # noqa: F401  (registers "wiod2013")
from chainatlas.sources.paths import cache_dir, resolve_path
from chainatlas.sources.registry import get_source, source_names

# Optional loader modules register themselves on import; they live beside this file.
for _module in ("wiod_excel", "oecd_icio", "adb", "generic"):
    try:
        __import__(f"chainatlas.sources.{_module}")
    except ModuleNotFoundError as _exc:  # a loader not written yet
        if _exc.name != f"chainatlas.sources.{_module}":
            raise


def load(
    source: str,
    path: str | os.PathLike[str] | None = None,
    year: int | None = None,
    **options,
) -> MRIOModel:
    """Load one year of a published table as a validated :class:`MRIOModel`.

    ``path`` defaults to ``$CHAINATLAS_DATA`` or the fetch cache. ``options`` go to the
    loader (e.g. ``rebalance=False``).
    """
    src = get_source(source)
    return src.loader(resolve_path(src.name, path), year, **options)


def available_years(source: str, path: str | os.PathLike[str] | None = None) -> list[int]:
    src = get_source(source)
    return src.list_years(Path(resolve_path(src.name, path)))


__all__ = ["available_years", "cache_dir", "load", "resolve_path", "source_names"]
