"""Binary table cache: a parsed year stored memory-mappable, so the next command reads it in ms.

Layout: ``<cache dir>/tables/<key>/`` (cache dir: ``$CHAINATLAS_CACHE``, else
``~/.cache/chainatlas``) holding one ``.npy`` file per array and ``meta.json`` with the labels,
scalars and, for each ``.npy``, its size and CRC-32. Arrays are opened with
``mmap_mode='r'``: read-only, paged in on use.

The key hashes (see :func:`entry_key`):

* the **content** (SHA-256) of every source file the loader reads, with its name;
* the loader's name, year and options;
* a fingerprint of the code that builds and stores the model (the loader's module, this module,
  ``core/model.py``) and :data:`CACHE_FORMAT`, so editing a loader never serves stale tables.

Hashing a file costs ~1 ms per MB (SHA-256, measured: 16 ms for 19 MB; blake2b 23 ms, no
xxhash installed), so a memo ``file-hashes.json`` keeps (device, inode, size, mtime_ns,
ctime_ns) -> hash and a file is rehashed whenever any of them changed. ``ctime`` is set by the
kernel on every write and cannot be set back by ``os.utime``, so rewriting a file's bytes and
restoring its size and mtime is still detected (tested); only changing the clock defeats it.

Safety: an entry is written into a temporary directory and published with one
``os.rename``; of two concurrent writers the loser discards its copy. An entry whose files
do not match the sizes and CRC-32 of its ``meta.json`` (truncated, damaged, half-deleted) is
removed and rebuilt, never served. The cache is best effort: any failure to write it is
ignored and the freshly parsed table is returned.

Bypass: ``load(..., cache=False)``, ``chainatlas --no-cache …`` or ``CHAINATLAS_NO_CACHE=1``.

Serialisation is generic over the model's dataclass fields; the value kinds it knows are the
rows of :data:`CODECS` — a field of a new kind (a satellite-account object, a layout for split
economies) is covered by making it a dataclass of these kinds or by adding one row there.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import io
import json
import mmap
import os
import shutil
import sys
import tempfile
import weakref
import zlib
from collections.abc import Callable, Mapping
from importlib import import_module
from pathlib import Path
from typing import Any

import numpy as np

from chainatlas.sources.paths import cache_dir
from chainatlas.util import readahead
from chainatlas.util.deferred import base_class, build_frame, pending_columns, with_deferred_frames
from chainatlas.util.file_hashes import HashMemo

# Bump when the stored layout changes (entries of other formats are simply never looked up).
CACHE_FORMAT = 1
# Inputs larger than this are not cached (hashing them would cost more than it saves).
MAX_INPUT_BYTES = 16 * 2**30
MAX_INPUT_FILES = 10_000


class Uncacheable(Exception):  # noqa: N818 (not an error: a reason to skip the cache)
    """A value the cache cannot store; the table is then simply not cached."""


# ---------------------------------------------------------------------- switches and paths
def tables_dir() -> Path:
    return cache_dir() / "tables"


def cache_enabled(cache: bool | None = None) -> bool:
    """``cache=False`` or ``CHAINATLAS_NO_CACHE=1`` turns the table cache off."""
    if cache is not None:
        return bool(cache)
    return os.environ.get("CHAINATLAS_NO_CACHE", "").strip().lower() not in (
        "1", "true", "yes", "on",
    )


# ---------------------------------------------------------------------- the key
def default_input_files(path: Path) -> list[Path]:
    """The files a loader may read: the file itself, or every file under the directory."""
    if path.is_file():
        return [path]
    files = []
    for root, dirs, names in os.walk(path):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        files.extend(Path(root) / n for n in sorted(names) if not n.startswith("."))
        if len(files) > MAX_INPUT_FILES:
            raise Uncacheable(f"more than {MAX_INPUT_FILES} files under {path}")
    return files


_CODE_FINGERPRINTS: dict[str, str] = {}


def _code_fingerprint(loader: Callable[..., Any]) -> str:
    """Hash of the source of the loader's module, this module and the model."""
    module_name = getattr(loader, "__module__", "") or ""
    if module_name in _CODE_FINGERPRINTS:
        return _CODE_FINGERPRINTS[module_name]
    digest = hashlib.sha256(str(CACHE_FORMAT).encode())
    modules = [module_name, __name__, "chainatlas.core.model"]
    for name in modules:
        module = sys.modules.get(name)
        file = getattr(module, "__file__", None)
        try:
            digest.update(Path(file).read_bytes() if file else name.encode())
        except OSError:
            digest.update(name.encode())
    version = getattr(sys.modules.get(module_name), "LOADER_VERSION", None)
    digest.update(repr(version).encode())
    _CODE_FINGERPRINTS[module_name] = digest.hexdigest()
    return _CODE_FINGERPRINTS[module_name]


def _option_text(options: Mapping[str, Any]) -> str:
    def plain(value: Any) -> Any:
        if value is None or isinstance(value, bool | int | float | str):
            return value
        if isinstance(value, os.PathLike):
            return os.fspath(value)
        if isinstance(value, list | tuple):
            return [plain(v) for v in value]
        if isinstance(value, Mapping) and all(isinstance(k, str) for k in value):
            return {k: plain(v) for k, v in sorted(value.items())}
        raise Uncacheable(f"option value of type {type(value).__name__}")

    return json.dumps({k: plain(v) for k, v in sorted(options.items())}, sort_keys=True)


def entry_key(
    source: str,
    loader: Callable[..., Any],
    files: list[Path],
    year: int | None,
    options: Mapping[str, Any],
    memo: HashMemo,
    root: Path | None = None,
) -> str:
    """The entry's name: a hash of input contents, loader, year, options and code version."""
    total = 0
    described = []
    for file in files:
        total += file.stat().st_size
        if total > MAX_INPUT_BYTES:
            raise Uncacheable("inputs too large to hash")
        name = file.relative_to(root).as_posix() if root and root in file.parents else file.name
        described.append([name, memo.digest(file)])
    payload = {
        "format": CACHE_FORMAT,
        "source": source,
        "code": _code_fingerprint(loader),
        "year": year,
        "options": _option_text(options),
        "files": described,
    }
    text = json.dumps(payload, sort_keys=True).encode()
    return hashlib.sha256(text).hexdigest()[:40]


# ---------------------------------------------------------------------- value codecs
# Each row: (tag, applies-to test, encode(value, writer) -> JSON, decode(JSON, reader) -> value).
# The JSON form is {"__tag__": ...}; plain JSON scalars, lists and str-keyed dicts need no row.


def write_npy(handle: Any, array: np.ndarray) -> dict[str, int]:
    """Write ``array`` as a ``.npy`` file to ``handle``; its size and CRC-32, as _verify checks.

    The checksum is taken over the bytes in memory as they are written, not by reading the
    file back: a panel's cache writes 35 MB a year, and reading them back cost as much again.
    """
    array = np.ascontiguousarray(array)
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, np.lib.format.header_data_from_array_1_0(array))
    head = header.getvalue()
    body = memoryview(array.reshape(-1)).cast("B") if array.size else memoryview(b"")
    handle.write(head)
    handle.write(body)
    return {"size": len(head) + body.nbytes, "crc32": zlib.crc32(body, zlib.crc32(head))}


class _Writer:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.files: dict[str, dict[str, int]] = {}

    def array(self, array: np.ndarray) -> str:
        if array.dtype.hasobject:
            raise Uncacheable("object array")
        name = f"a{len(self.files)}.npy"
        with open(self.directory / name, "wb") as handle:
            self.files[name] = write_npy(handle, array)
        return name


class _Reader:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def array(self, name: str) -> np.ndarray:
        array = np.load(self.directory / name, mmap_mode="r", allow_pickle=False)
        # a plain read-only ndarray over the mapping (np.memmap's subclass leaks into results)
        view = array.view(np.ndarray)
        view.setflags(write=False)
        return view


def _encode_array(value: np.ndarray, writer: _Writer) -> Any:
    if value.dtype.hasobject:  # labels held as an object array: kept as a JSON list
        return {"__objarray__": [encode(v, writer) for v in value.tolist()]}
    return {"__ndarray__": writer.array(value)}


def _encode_frame(value: Any, writer: _Writer) -> Any:
    import pandas as pd

    if not isinstance(value.index, pd.RangeIndex) or value.index.start != 0:
        raise Uncacheable("DataFrame with an index")
    if not all(isinstance(c, str) for c in value.columns) or value.columns.has_duplicates:
        raise Uncacheable("DataFrame with non-string or duplicate columns")
    columns = {}
    for name in value.columns:
        column = value[name]
        if column.dtype == object or pd.api.types.is_string_dtype(column.dtype):
            columns[name] = column.tolist()
        elif column.dtype.kind in "biuf":
            columns[name] = column.to_numpy()
        else:
            raise Uncacheable(f"DataFrame column of dtype {column.dtype}")
    return _encode_columns(columns, writer)


def _encode_columns(columns: Mapping[str, Any], writer: _Writer) -> Any:
    """A frame's columns (numeric arrays, or label lists / object arrays) in the frame form."""
    data = {}
    for name, column in columns.items():
        if isinstance(column, np.ndarray) and column.dtype.kind in "biuf":
            data[name] = {"__ndarray__": writer.array(column)}
        else:
            values = column.tolist() if isinstance(column, np.ndarray) else list(column)
            data[name] = {"__list__": [encode(v, writer) for v in values]}
    return {"__frame__": {"columns": list(columns), "data": data}}


def _frame_columns(payload: Mapping[str, Any], reader: _Reader) -> dict[str, Any]:
    columns = {name: decode(column, reader) for name, column in payload["data"].items()}
    return {
        name: np.array(values, dtype=object) if isinstance(values, list) else values
        for name, values in ((n, columns[n]) for n in payload["columns"])
    }


def _is_dataclass_instance(value: Any) -> bool:
    return dataclasses.is_dataclass(value) and not isinstance(value, type)


def _encode_dataclass(value: Any, writer: _Writer) -> Any:
    cls = base_class(value)  # a deferred-frame subclass stores as its base
    if not cls.__module__.startswith("chainatlas."):
        raise Uncacheable(f"dataclass {cls.__qualname__} from outside chainatlas")
    fields = {}
    for f in dataclasses.fields(value):
        columns = pending_columns(value, f.name)
        # a frame not built yet is stored from its columns (no pandas import)
        fields[f.name] = (
            encode(getattr(value, f.name), writer)
            if columns is None
            else _encode_columns(columns, writer)
        )
    return {"__dataclass__": {"class": f"{cls.__module__}:{cls.__qualname__}", "fields": fields}}


def _decode_dataclass(payload: Mapping[str, Any], reader: _Reader) -> Any:
    module, _, qualname = payload["class"].partition(":")
    if not module.startswith("chainatlas."):
        raise ValueError(f"class {payload['class']} is not chainatlas'")
    cls: Any = import_module(module)
    for part in qualname.split("."):
        cls = getattr(cls, part)
    values: dict[str, Any] = {}
    deferred: dict[str, dict[str, Any]] = {}
    for name, encoded in payload["fields"].items():
        if isinstance(encoded, dict) and "__frame__" in encoded:
            # a DataFrame field is built on first access: reading a cached table must not
            # import pandas (0.3 s) when the command never looks at that frame
            deferred[name] = _frame_columns(encoded["__frame__"], reader)
        else:
            values[name] = decode(encoded, reader)
    known = {f.name for f in dataclasses.fields(cls)}
    if set(values) | set(deferred) != known:
        raise ValueError(f"stored fields of {qualname} differ from the class's")
    return with_deferred_frames(cls, values, deferred)


def _encode_float(value: Any, writer: _Writer) -> Any:
    value = float(value)
    return value if np.isfinite(value) else {"__float__": repr(value)}


def _encode_sequence(tag: str) -> Callable[[Any, _Writer], Any]:
    return lambda value, writer: {tag: [encode(v, writer) for v in value]}


# THE TABLE of value kinds a model field may hold: (applies to value?, encode -> JSON with a
# "__tag__" key or a plain JSON value, tag, decode of the tag's payload). Plain JSON values
# (None, bool, int, str, finite float) need no row. A new kind of field: add a row here.
CODECS: list[tuple[Callable[[Any], bool], Callable[[Any, _Writer], Any], str, Any]] = [
    (lambda v: isinstance(v, np.ndarray), _encode_array,
     "__ndarray__", lambda payload, reader: reader.array(payload)),
    (lambda v: False, None,
     "__objarray__", lambda p, r: np.array([decode(v, r) for v in p], dtype=object)),
    (lambda v: type(v).__name__ == "DataFrame" and "pandas" in sys.modules, _encode_frame,
     "__frame__", lambda payload, reader: build_frame(_frame_columns(payload, reader))),
    (_is_dataclass_instance, _encode_dataclass, "__dataclass__", _decode_dataclass),
    (lambda v: isinstance(v, tuple), _encode_sequence("__tuple__"),
     "__tuple__", lambda p, r: tuple(decode(v, r) for v in p)),
    (lambda v: isinstance(v, list), _encode_sequence("__list__"),
     "__list__", lambda p, r: [decode(v, r) for v in p]),
    (lambda v: isinstance(v, dict),
     lambda v, w: {"__dict__": [[encode(k, w), encode(x, w)] for k, x in v.items()]},
     "__dict__", lambda p, r: {decode(k, r): decode(x, r) for k, x in p}),
    (lambda v: isinstance(v, float | np.floating), _encode_float,
     "__float__", lambda payload, reader: float(payload)),
    (lambda v: isinstance(v, np.integer | np.bool_), lambda v, w: v.item(), "", None),
    (lambda v: isinstance(v, Path), lambda v, w: {"__path__": str(v)},
     "__path__", lambda payload, reader: Path(payload)),
]
_DECODERS = {tag: dec for _test, _enc, tag, dec in CODECS if dec is not None}


def encode(value: Any, writer: _Writer) -> Any:
    """The JSON form of ``value`` (arrays written beside it by ``writer``)."""
    if value is None or isinstance(value, bool | str) or type(value) is int:
        return value
    for applies, encoder, _tag, _decoder in CODECS:
        if encoder is not None and applies(value):
            return encoder(value, writer)
    raise Uncacheable(f"value of type {type(value).__name__}")


def decode(data: Any, reader: _Reader) -> Any:
    if isinstance(data, dict):
        ((tag, payload),) = data.items()
        return _DECODERS[tag](payload, reader)
    if isinstance(data, list):
        raise ValueError("untagged list in a cache entry")
    return data


# ---------------------------------------------------------------------- entries
def _verify(directory: Path, meta: Mapping[str, Any]) -> None:
    """Every stored array file has the size and CRC-32 recorded when it was written."""
    for name, expected in meta["files"].items():
        file = directory / name
        if file.stat().st_size != expected["size"]:
            raise ValueError(f"{name}: size differs")
        if _file_crc32(file) != expected["crc32"]:
            raise ValueError(f"{name}: checksum differs")


def _file_crc32(file: Path) -> int:
    """CRC-32 of a file, over a read-only mapping (no copy: the arrays are mapped anyway)."""
    with open(file, "rb") as handle:
        if os.fstat(handle.fileno()).st_size == 0:
            return zlib.crc32(b"")
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
            return zlib.crc32(mapped)


def read_entry(directory: Path) -> Any | None:
    """The stored value, or None when the entry is absent, unreadable or damaged."""
    meta_file = directory / "meta.json"
    try:
        meta = json.loads(meta_file.read_text("utf-8"))
        if meta.get("format") != CACHE_FORMAT:
            raise ValueError("other cache format")
        _verify(directory, meta)
        return decode(meta["value"], _Reader(directory))
    except FileNotFoundError:
        if directory.exists():
            _discard(directory)  # a directory without meta.json is damaged
        return None
    except Exception:
        # truncated file, bad JSON, wrong checksum, a field the class no longer has …:
        # never serve it; rebuild
        _discard(directory)
        return None


def _discard(directory: Path) -> None:
    """Remove an entry (renamed aside first, so readers never see it half-deleted)."""
    aside = directory.with_name(f".discard-{directory.name}-{os.getpid()}")
    try:
        os.rename(directory, aside)
    except OSError:
        return
    shutil.rmtree(aside, ignore_errors=True)


def write_entry(root: Path, key: str, value: Any) -> bool:
    """Store ``value`` under ``key``; False if another process published it first."""
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{key[:12]}-", dir=root))
    try:
        writer = _Writer(tmp)
        encoded = encode(value, writer)
        meta = {"format": CACHE_FORMAT, "files": writer.files, "value": encoded}
        (tmp / "meta.json").write_text(json.dumps(meta), "utf-8")
        try:
            os.rename(tmp, root / key)
        except OSError:  # the entry exists: another writer won the race; ours is discarded
            return False
        return True
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


# ---------------------------------------------------------------------- derived arrays
# Derived quantities worth keeping beside a table: the Leontief inverse B costs 0.1-2 s per
# command (LAPACK getri on 1435 x 1435, more on a busy machine) and is the same bits every
# time it is computed from the same A. Stored as "<name>.npy" + "<name>.json" (size, CRC-32)
# after a command computed it (save_derived); put back into the model's cached_property slot
# when the entry is read. The key covers core/model.py, so a change of formula is a new entry.
# va_origin_multipliers (G x GN, 0.5 MB) is what KWW and TiVA need of B; stored too, so their
# warm runs need neither B nor a solve. B_diagonal_blocks (G x N x N, 0.4 MB) is what WWZ and
# the source-based BM terms need of B besides LU solves: with it they never form B at all.
# "Same bits": for the same BLAS and thread count; one thread or two differ in the last digit.
DERIVED = ("B", "B_diagonal_blocks", "va_origin_multipliers")
_ENTRY_OF: weakref.WeakKeyDictionary[Any, Path] = weakref.WeakKeyDictionary()  # model -> entry


def _attach_derived(model: Any, directory: Path) -> None:
    for name in DERIVED:
        try:
            expected = json.loads((directory / f"{name}.json").read_text("utf-8"))
            _verify(directory, {"files": {f"{name}.npy": expected}})
            model.__dict__[name] = _Reader(directory).array(f"{name}.npy")
        except Exception:  # absent (not computed yet) or damaged: computed again
            continue


def save_derived(model: Any) -> None:
    """Store the derived arrays the model has computed that its cache entry lacks."""
    try:
        directory = _ENTRY_OF.get(model)
    except TypeError:  # not weak-referenceable: never cached here
        return
    if directory is None or not directory.is_dir():
        return
    for name in DERIVED:
        value = model.__dict__.get(name)
        if not isinstance(value, np.ndarray) or (directory / f"{name}.json").exists():
            continue
        with contextlib.suppress(OSError):
            fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".npy", dir=directory)
            with os.fdopen(fd, "wb") as handle:
                record = write_npy(handle, value)
            os.replace(tmp, directory / f"{name}.npy")
            fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".json", dir=directory)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(record, handle)
            os.replace(tmp, directory / f"{name}.json")  # published last: the array is whole


def _remember(model: Any, directory: Path) -> None:
    with contextlib.suppress(TypeError):
        _ENTRY_OF[model] = directory


def cached_load(
    source: str,
    loader: Callable[..., Any],
    path: Path,
    year: int | None,
    options: Mapping[str, Any],
    *,
    input_files: Callable[[Path, int | None], list[Path]] | None = None,
    cache: bool | None = None,
) -> Any:
    """``loader(path, year, **options)``, served from the table cache when it holds it."""
    if not cache_enabled(cache):
        return loader(path, year, **options)
    root = tables_dir()
    memo = HashMemo(root)
    try:
        files = input_files(path, year) if input_files else default_input_files(path)
        # a directory and a file of the same content are different requests (a directory
        # without a year is an error, a single file is its own year): the kind is in the key
        kind = "directory" if path.is_dir() else "file"
        key = entry_key(
            source, loader, files, year, {**options, "_path_kind": kind}, memo,
            root=path if path.is_dir() else None,
        )
    except (Uncacheable, OSError):
        return loader(path, year, **options)
    finally:
        memo.save()
    entry = root / key
    if entry.exists():
        value = read_entry(entry)
        if value is not None:
            for file in files:  # a read started ahead of the load is not needed
                readahead.discard(file)
            _attach_derived(value, entry)
            _remember(value, entry)
            return value
    model = loader(path, year, **options)
    # best effort: an unwritable cache or an unsupported field never fails a load
    with contextlib.suppress(Uncacheable, OSError, ValueError, TypeError):
        write_entry(root, key, model)
        _remember(model, entry)
    return model


__all__ = [
    "CACHE_FORMAT",
    "CODECS",
    "Uncacheable",
    "cache_enabled",
    "cached_load",
    "entry_key",
    "read_entry",
    "save_derived",
    "tables_dir",
    "write_entry",
]
