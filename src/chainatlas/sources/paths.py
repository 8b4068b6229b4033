"""Where a table lives: --path, else $CHAINATLAS_DATA, else the fetch cache.

Every command resolves a source's directory the same way, so a scenario file or a report
can name its table by source and year only.
"""

from __future__ import annotations

import os
from pathlib import Path

from chainatlas.errors import DataNotFoundError
from chainatlas.util.cache_root import cache_dir


def resolve_path(source: str, path: str | os.PathLike[str] | None = None) -> Path:
    """The directory (or file) holding ``source``'s tables."""
    if path is not None:
        resolved = Path(path).expanduser()
        if not resolved.exists():
            raise DataNotFoundError("no such file or directory", path=str(resolved))
        return resolved
    env = os.environ.get("CHAINATLAS_DATA")
    candidates: list[Path] = []
    if env:
        base = Path(env).expanduser()
        candidates += [base / source, base]
    candidates.append(cache_dir() / source)
    for candidate in candidates:
        if candidate.exists():
            return candidate
    raise DataNotFoundError(
        f"no data for source {source!r}: pass --path, set CHAINATLAS_DATA, or run "
        f"'chainatlas fetch {source}' (looked in {', '.join(str(c) for c in candidates)})"
    )
