"""Registry of table sources: name -> loader and year lister.

Each loader module registers itself with :func:`register`; :func:`chainatlas.sources.load`
dispatches by name. Loaders are functions ``(path, year, **options) -> MRIOModel``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from chainatlas.core.model import MRIOModel
from chainatlas.errors import UnknownSourceError

Loader = Callable[..., MRIOModel]
# None: the files record no year, so any year given labels the table (pymrio folders)
YearLister = Callable[[Path], list[int] | None]


@dataclass(frozen=True)
class Source:
    name: str
    loader: Loader
    list_years: YearLister
    description: str


_SOURCES: dict[str, Source] = {}


def register(name: str, *, list_years: YearLister, description: str) -> Callable[[Loader], Loader]:
    def decorator(loader: Loader) -> Loader:
        _SOURCES[name] = Source(name, loader, list_years, description)
        return loader

    return decorator


def get_source(name: str) -> Source:
    key = name.lower()
    if key not in _SOURCES:
        raise UnknownSourceError(
            f"unknown source {name!r}; known sources: {', '.join(sorted(_SOURCES))}"
        )
    return _SOURCES[key]


def source_names() -> list[str]:
    return sorted(_SOURCES)
