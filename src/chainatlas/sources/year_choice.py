"""Which year a loader reads, out of the years its files hold.

The FIGARO and GLORIA loaders find their files per year first; a year not given is the only
one there (several years and none chosen is an error), a year given must be one of them.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from chainatlas.errors import DataNotFoundError, ValidationError


def choose_year(found: Collection[int], year: int | None, path: Path) -> int:
    """``year`` checked against ``found`` (the years on disk); ``None`` is the only year."""
    if year is None:
        if len(found) > 1:
            raise ValidationError(
                f"a year is needed; available: {', '.join(map(str, sorted(found)))}",
                path=str(path),
            )
        year = next(iter(found))
    if year not in found:
        raise DataNotFoundError(
            f"unknown year {year}; available: {', '.join(map(str, sorted(found)))}",
            path=str(path),
        )
    return year
