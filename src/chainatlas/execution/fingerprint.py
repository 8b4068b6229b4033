"""What a partition was computed from: input file hashes, options, task and code version.

A unit's completion marker records its fingerprint; a re-run whose fingerprint differs (another
table, an edited input file, other loader options, a new chainatlas version) recomputes the
unit instead of reporting the stale result as done.

Every input file that determines the result enters by its content hash (SHA-256):

* the files the source says it reads for the year (``input_files`` of the registered source),
  or else every file of a single-file input and, in a directory, the files of the unit's
  year (the year in their path) and the files without any year in their path (code lists,
  concordances, ``meta.toml``, a one-year table's ``Z.csv``); other years' files are left out;
* files and directories named in the unit's parameters (a groups file, a scenario file, a
  concordance directory passed to a per-year function): a parameter that is a path object,
  or a string with a path separator or a file suffix naming something that exists. In a
  directory named that way, the files past the first GiB enter by (device, inode, size,
  mtime_ns, ctime_ns) instead — as safe (ctime cannot be set back), only not portable.

A directory is walked for at most 5,000 files (hidden files and ``_chainatlas`` folders
skipped, the run's own output directory pruned); a larger tree is marked "more files".

Hashes are memoised by (device, inode, size, mtime_ns, ctime_ns), the table cache's key
(``chainatlas.util.file_hashes.HashMemo``): within the process, and across runs in the output
directory's ``_chainatlas/file-hashes.json`` when the runner passes its memo. Restoring a
file's size and modification time after an edit (``os.utime``) still changes its ctime, so
the file is hashed again and the edit is seen.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from chainatlas.execution.units import WorkUnit
from chainatlas.util.file_hashes import HashMemo, stat_key

_MAX_LISTED_FILES = 5000
# Bytes of a directory named in the parameters hashed by content; later files enter by stat.
_PARAM_HASH_BUDGET = 1 << 30
_ANY_YEAR = re.compile(r"(?<!\d)(?:1[89]\d\d|20\d\d)(?!\d)")
_PATH_LIKE_TEXT = re.compile(r"[/\\]|\.[A-Za-z0-9]{1,8}$")


_PROCESS_MEMO = HashMemo()  # in memory: when the runner passes no persistent memo


def file_hash(path: Path, memo: HashMemo | None = None) -> str:
    """Content hash of one file (memoised while its device, inode, size, mtime and ctime
    are unchanged)."""
    return (memo or _PROCESS_MEMO).digest(Path(path))


def persistent_memo(directory: Path) -> HashMemo:
    """A hash memo kept in ``directory`` (``file-hashes.json``); call ``save()`` after use."""
    return HashMemo(Path(directory))


def _skipped(name: str) -> bool:
    return name.startswith(("_chainatlas/", ".")) or "/." in name or "/_chainatlas/" in name


def _files(path: Path, exclude: Path | None) -> tuple[list[Path], bool]:
    """Files under ``path`` in a fixed order, without hidden files, ``_chainatlas`` folders
    and ``exclude`` (pruned while walking); stops after ``_MAX_LISTED_FILES`` (True = more),
    so a parameter naming a huge tree costs a bounded walk."""
    files: list[Path] = []
    for root, dirs, names in os.walk(path):
        here = Path(root)
        dirs[:] = sorted(
            d
            for d in dirs
            if not d.startswith(".")
            and d != "_chainatlas"
            and (exclude is None or (here / d).resolve() != exclude)
        )
        for name in sorted(names):
            if name.startswith(".") or not (here / name).is_file():
                continue
            if len(files) >= _MAX_LISTED_FILES:
                return files, True
            files.append(here / name)
    return files, False


def _stat_entry(path: Path) -> list[int]:
    """(device, inode, size, mtime_ns, ctime_ns): changes with every write (ctime cannot be
    set back), so never misses an edit; it may change without one (chmod, a copy)."""
    return stat_key(path.stat())


def _tree(
    path: Path,
    memo: HashMemo | None,
    exclude: Path | None,
    year: int | None,
    hash_budget: int | None = None,
) -> dict[str, Any]:
    """Content hashes of the files under ``path`` (those of ``year`` and those without a
    year when ``year`` is given). Past ``hash_budget`` bytes, files enter by their stat key
    (a parameter naming a large data directory costs no hashing of all of it)."""
    year_pattern = re.compile(rf"(?<!\d){year}(?!\d)") if year is not None else None
    found: dict[str, Any] = {}
    files, more = _files(path, exclude)
    hashed = 0
    for file in files:
        name = file.relative_to(path).as_posix()
        if _skipped(name):
            continue
        if year_pattern is not None and not year_pattern.search(name) and _ANY_YEAR.search(name):
            continue  # another year's file: it does not enter this year's result
        if hash_budget is not None:
            hashed += file.stat().st_size
            if hashed > hash_budget:
                found[name] = _stat_entry(file)
                continue
        found[name] = file_hash(file, memo)
    if more:
        found["…"] = f"more than {_MAX_LISTED_FILES} files"
    return found


def _inputs(
    path: Path,
    year: int,
    exclude: Path | None = None,
    memo: HashMemo | None = None,
    declared: list[Path] | None = None,
) -> dict[str, Any]:
    if declared is not None:  # the source names the files it reads for this year
        root = path if path.is_dir() else path.parent
        return {
            (f.relative_to(root).as_posix() if root in f.parents else str(f)): file_hash(f, memo)
            for f in (Path(x).resolve() for x in declared)
        }
    if path.is_file():
        return {path.name: file_hash(path, memo)}
    if not path.is_dir():
        return {"missing": str(path)}
    return _tree(path, memo, exclude, year)


def _param_paths(value: Any, where: str = "") -> list[tuple[str, Path]]:
    """(parameter name, path) for every parameter value that names an existing file or
    directory (path objects always; strings only when they look like a path)."""
    found: list[tuple[str, Path]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            found += _param_paths(item, f"{where}.{key}" if where else str(key))
    elif isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        for index, item in enumerate(items):
            found += _param_paths(item, f"{where}[{index}]")
    elif isinstance(value, os.PathLike) or (
        isinstance(value, str) and 0 < len(value) < 4096 and _PATH_LIKE_TEXT.search(value)
    ):
        try:
            path = Path(os.fspath(value)).expanduser()
            if path.exists():
                found.append((where, path.resolve()))
        except (OSError, ValueError, TypeError):
            pass
    return found


def _param_inputs(
    params: dict[str, Any], memo: HashMemo | None, exclude: Path | None
) -> dict[str, Any]:
    inputs: dict[str, Any] = {}
    for name, path in _param_paths(params):
        if exclude is not None and (path == exclude or exclude in path.parents):
            continue  # the run's own output directory (or a file in it) is no input
        label = f"param {name}"
        try:
            if path.is_file():
                inputs[label] = file_hash(path, memo)
            else:
                inputs[label] = _tree(path, memo, exclude, None, _PARAM_HASH_BUDGET)
        except OSError as exc:
            inputs[label] = f"unreadable: {exc.strerror or exc}"
    return inputs


def code_version() -> str:
    try:
        from importlib.metadata import version

        return version("chainatlas")
    except Exception:  # running from a source tree that is not installed
        return "unknown"


def unit_fingerprint(
    unit: WorkUnit, exclude: Path | None = None, memo: HashMemo | None = None
) -> dict[str, Any]:
    """The fingerprint of ``unit`` (JSON-serialisable; compare with ``==``).

    ``exclude``: the output directory of the run, left out when it lies inside the input
    directory (its own files change with every run). ``memo``: a hash memo to reuse across
    calls and runs (see :func:`persistent_memo`); the process-wide one otherwise."""
    inputs: dict[str, Any] = {}
    resolved: str | None = unit.path
    input_files = None
    try:
        from chainatlas.sources.paths import resolve_path
        from chainatlas.sources.registry import get_source

        source = get_source(unit.source)
        resolved = str(resolve_path(source.name, unit.path))
        input_files = source.input_files
    except Exception:  # an unknown source fails later, in the unit itself, with its message
        pass
    if resolved is not None:
        path = Path(resolved).expanduser().resolve()
        declared = None
        if input_files is not None:
            try:
                declared = list(input_files(path, unit.year))
            except Exception:  # e.g. no file for the year: the unit reports it when it runs
                declared = None
        try:
            inputs = _inputs(path, unit.year, exclude, memo, declared)
        except OSError as exc:
            inputs = {"unreadable": f"{resolved}: {exc.strerror or exc}"}
    inputs.update(_param_inputs(unit.params, memo, exclude))
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


__all__ = [
    "code_version",
    "describe_difference",
    "file_hash",
    "persistent_memo",
    "unit_fingerprint",
]
