"""The user's cache directory, importable at start-up (os only): $CHAINATLAS_CACHE, else
$XDG_CACHE_HOME/chainatlas, else ~/.cache/chainatlas."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """The cache root shared by fetched tables, the table cache and the help cache."""
    env = os.environ.get("CHAINATLAS_CACHE")
    if env:
        return Path(env).expanduser()
    return (
        Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")).expanduser() / "chainatlas"
    )


__all__ = ["cache_dir"]
