"""Errors chainatlas raises for bad input.

Every user-facing problem (a wrong shape, a missing label, a NaN, a corrupt file, an unknown
year or source) is a :class:`ChainAtlasError` whose message names the file and the
row/column/label at fault. The CLI prints these without a traceback and exits with code 2.
"""

from __future__ import annotations


class ChainAtlasError(Exception):
    """A problem with the user's input or request (not a bug in chainatlas)."""

    def __init__(self, message: str, *, path: str | None = None, location: str | None = None):
        self.path = path
        self.location = location
        parts = []
        if path:
            parts.append(str(path))
        if location:
            parts.append(location)
        prefix = ": ".join(parts)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class ValidationError(ChainAtlasError):
    """A table or file failed validation (shape, labels, NaN, negative output, …)."""


class UnknownSourceError(ChainAtlasError):
    """A source name that chainatlas has no loader for."""


class DataNotFoundError(ChainAtlasError):
    """A file, directory or year that is not where the user said it is."""
