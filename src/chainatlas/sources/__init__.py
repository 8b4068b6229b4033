"""Data sources: loaders of published MRIO tables, each returning a validated MRIOModel.

Use :func:`load` with a source name (``chainatlas.sources.source_names()`` lists them).
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from chainatlas.errors import ChainAtlasError
from chainatlas.sources import wiod_r  # noqa: F401  (registers "wiod2013")
from chainatlas.sources.paths import cache_dir, resolve_path
from chainatlas.sources.registry import get_source, source_names

if TYPE_CHECKING:
    from chainatlas.core.model import MRIOModel

# Optional loader modules register themselves on import; they live beside this file and are
# imported when a source name is first looked up that is not registered yet (registry.py),
# so a command on wiod2013 does not import the Excel and CSV readers' libraries.
LOADER_MODULES = (
    "wiod_excel", "oecd_icio", "adb", "generic", "exiobase", "eora", "gloria", "figaro",
    "pymrio_io", "detect",
)


def load(
    source: str,
    path: str | os.PathLike[str] | None = None,
    year: int | None = None,
    *,
    cache: bool | None = None,
    **options,
) -> MRIOModel:
    """Load one year of a published table as a validated :class:`MRIOModel`.

    ``path`` defaults to ``$CHAINATLAS_DATA`` or the fetch cache. ``options`` go to the
    loader (e.g. ``rebalance=False``). A year parsed before is read back from the binary
    table cache (sources/cache.py) unless ``cache=False`` or ``CHAINATLAS_NO_CACHE=1``.
    """
    from chainatlas.sources.cache import cached_load

    src = get_source(source)
    _check_options(src.name, src.loader, options)
    return cached_load(
        src.name,
        src.loader,
        resolve_path(src.name, path),
        _year_number(year),
        options,
        input_files=src.input_files,
        cache=cache,
    )


def _year_number(year: object) -> int | None:
    """Accept ``"2011"`` as 2011 (a string year used to fail as 'unknown year 2011')."""
    if year is None or isinstance(year, int):
        return year
    try:
        return int(str(year).strip())
    except ValueError:
        raise ChainAtlasError(f"year must be a whole number such as 2011, not {year!r}") from None


def _check_options(name: str, loader: Callable[..., MRIOModel], options: dict) -> None:
    """A misspelt option (``rebalanse=False``) is a clear error, not a TypeError."""
    parameters = list(inspect.signature(loader).parameters.values())[2:]  # after path, year
    if any(p.kind is p.VAR_KEYWORD for p in parameters):
        return
    accepted = [p.name for p in parameters if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)]
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise ChainAtlasError(
            f"unknown option(s) {', '.join(unknown)} for source {name}; it takes "
            + (", ".join(accepted) if accepted else "no options")
        )


def available_years(source: str, path: str | os.PathLike[str] | None = None) -> list[int] | None:
    """Years the files hold; None when they record none (any year given labels the table)."""
    src = get_source(source)
    return src.list_years(Path(resolve_path(src.name, path)))


__all__ = [
    "LOADER_MODULES",
    "available_years",
    "cache_dir",
    "load",
    "resolve_path",
    "source_names",
]
