"""Registry of table sources: name -> loader and year lister.

Each loader module registers itself with :func:`register`; :func:`chainatlas.sources.load`
dispatches by name. Loaders are functions ``(path, year, **options) -> MRIOModel``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from chainatlas.errors import UnknownSourceError

if TYPE_CHECKING:
    from chainatlas.core.model import MRIOModel

Loader = Callable[..., "MRIOModel"]
# None: the files record no year, so any year given labels the table (pymrio folders)
YearLister = Callable[[Path], list[int] | None]
# (path, year) -> the files the loader reads for that year, for the table cache's key; without
# it the cache hashes the file, or every file under the directory (sources/cache.py).
InputFiles = Callable[[Path, "int | None"], list[Path]]


@dataclass(frozen=True)
class Source:
    name: str
    loader: Loader
    list_years: YearLister
    description: str
    input_files: InputFiles | None = None


_SOURCES: dict[str, Source] = {}



def register(
    name: str,
    *,
    list_years: YearLister,
    description: str,
    input_files: InputFiles | None = None,
) -> Callable[[Loader], Loader]:
    def decorator(loader: Loader) -> Loader:
        _SOURCES[name] = Source(name, loader, list_years, description, input_files)
        return loader

    return decorator


def get_source(name: str) -> Source:
    key = name.lower()
    if key not in _SOURCES:
        _import_loaders()
    if key not in _SOURCES:
        raise UnknownSourceError(
            f"unknown source {name!r}; known sources: {', '.join(sorted(_SOURCES))}"
        )
    return _SOURCES[key]


def source_names() -> list[str]:
    _import_loaders()
    return sorted(_SOURCES)


def _import_loaders() -> None:
    """Import every loader module (each registers itself); only when a name is not known yet,
    so ``load("wiod2013")`` does not import the Excel, CSV and ICIO readers' libraries."""
    from chainatlas.sources import LOADER_MODULES

    for module in LOADER_MODULES:
        try:
            __import__(f"chainatlas.sources.{module}")
        except ModuleNotFoundError as exc:  # a loader not written yet
            if exc.name != f"chainatlas.sources.{module}":
                raise
