"""What a partition was computed from: input file hashes, options, task and code version.

A unit's completion marker records its fingerprint; a re-run whose fingerprint differs (another
table, an edited input file, other loader options, a new chainatlas version) recomputes the
unit instead of reporting the stale result as done.

Hashing every file of a table directory each run would cost seconds on a panel of large
files, so the files that belong to the unit's year (the year in their path) and every file of a
single-file input are hashed by content (BLAKE2b, cached by size and mtime within the
process); files of other years are left out, and the remaining files of a directory (code
lists, meta.toml) enter by name, size and modification time.
"""

from __future__ import annotations

import hashlib
import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from chainatlas.execution.units import WorkUnit

_MAX_LISTED_FILES = 5000
_ANY_YEAR = re.compile(r"(?<!\d)(?:1[89]\d\d|20\d\d)(?!\d)")


@lru_cache(maxsize=256)
def _content_hash(path: str, size: int, mtime_ns: int) -> str:
    digest = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def file_hash(path: Path) -> str:
    """Content hash of one file (cached per process while its size and mtime are unchanged)."""
    stat = path.stat()
    return _content_hash(str(path.resolve()), stat.st_size, stat.st_mtime_ns)


def _inputs(path: Path, year: int, exclude: Path | None = None) -> dict[str, Any]:
    if path.is_file():
        return {path.name: file_hash(path)}
    if not path.is_dir():
        return {"missing": str(path)}
    year_pattern = re.compile(rf"(?<!\d){year}(?!\d)")
    found: dict[str, Any] = {}
    for index, file in enumerate(sorted(p for p in path.rglob("*") if p.is_file())):
        if index >= _MAX_LISTED_FILES:
            found["…"] = "more files"
            break
        name = file.relative_to(path).as_posix()
        if name.startswith(("_chainatlas/", ".")) or "/." in name or "/_chainatlas/" in name:
            continue
        if exclude is not None and exclude in file.parents:
            continue  # the run's own output directory inside the input directory
        if year_pattern.search(name):
            found[name] = file_hash(file)
        elif _ANY_YEAR.search(name):
            continue  # another year's file: it does not enter this year's result
        else:
            stat = file.stat()
            found[name] = [stat.st_size, stat.st_mtime_ns]
    return found


def code_version() -> str:
    try:
        from importlib.metadata import version

        return version("chainatlas")
    except Exception:  # running from a source tree that is not installed
        return "unknown"


def unit_fingerprint(unit: WorkUnit, exclude: Path | None = None) -> dict[str, Any]:
    """The fingerprint of ``unit`` (JSON-serialisable; compare with ``==``).

    ``exclude``: the output directory of the run, left out when it lies inside the input
    directory (its own files change with every run)."""
    inputs: dict[str, Any] = {}
    resolved: str | None = unit.path
    try:
        from chainatlas.sources.paths import resolve_path
        from chainatlas.sources.registry import get_source

        source = get_source(unit.source)
        resolved = str(resolve_path(source.name, unit.path))
    except Exception:  # an unknown source fails later, in the unit itself, with its message
        pass
    if resolved is not None:
        try:
            inputs = _inputs(Path(resolved).expanduser().resolve(), unit.year, exclude)
        except OSError as exc:
            inputs = {"unreadable": f"{resolved}: {exc.strerror or exc}"}
    params = json.loads(json.dumps(unit.params, sort_keys=True, default=_name_of))
    return {
        "task": unit.task,
        "source": unit.source,
        "path": resolved,
        "params": params,
        "inputs": inputs,
        "code_version": code_version(),
    }


def _name_of(value: Any) -> str:
    """Functions and other objects in params enter by their qualified name."""
    module = getattr(value, "__module__", "")
    name = getattr(value, "__qualname__", None) or type(value).__name__
    return f"{module}.{name}" if module else str(name)


def describe_difference(old: dict[str, Any] | None, new: dict[str, Any]) -> str:
    """A short reason why a unit is recomputed ('input Z.csv changed', …)."""
    if not old:
        return "it was written by a version that recorded no fingerprint"
    reasons = []
    if old.get("path") != new.get("path"):
        reasons.append(f"other input ({old.get('path')} -> {new.get('path')})")
    else:
        before, after = old.get("inputs", {}), new.get("inputs", {})
        changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
        if changed:
            shown = ", ".join(changed[:3]) + (
                f" and {len(changed) - 3} more" if len(changed) > 3 else ""
            )
            reasons.append(f"input file(s) changed: {shown}")
    if old.get("params") != new.get("params"):
        reasons.append("other options")
    if old.get("source") != new.get("source"):
        reasons.append(f"other source ({old.get('source')} -> {new.get('source')})")
    if old.get("code_version") != new.get("code_version"):
        reasons.append(f"chainatlas {old.get('code_version')} -> {new.get('code_version')}")
    return "; ".join(reasons) or "the inputs differ"


__all__ = ["code_version", "describe_difference", "file_hash", "unit_fingerprint"]
