"""Read and inflate an input file on a background thread while the process is still starting.

A command on a compressed table spends its first ~0.2 s importing (NumPy, typer, rich, the
loaders) on one core, then ~0.15-0.25 s inflating the file (bzip2 of WIOD's wiot_YYYY.RData,
one thread) — on a two-core machine the second core idles through both. :func:`start`, called
by the console script as soon as it knows which file the command will read, inflates it on a
daemon thread (bzip2, gzip and xz release the GIL while they work), and the loader's
:func:`take` returns the bytes if, and only if, they are of the file it asked for as it is now:

* the file is identified by its resolved path and its (device, inode, size, mtime_ns,
  ctime_ns), taken before and after the read and again by :func:`take`; any difference and
  :func:`take` returns None, so the loader reads the file itself — a file edited in between is
  never served from the earlier read;
* what inflates past ``limit`` bytes, fails to inflate or to read is dropped the same way, and
  the loader's own read then reports it (with the file named);
* :func:`discard` (a table-cache hit) stops the thread between chunks and frees the bytes.

Only the standard library is imported here: it runs before NumPy is loaded.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from typing import Any

# R data files never inflate past this (a corrupt or hostile file is refused, not read whole)
MAX_INFLATED_BYTES = 8 * 2**30
_CHUNK = 16 * 2**20  # inflated bytes per step: the thread checks for a discard between steps
# While a read runs, the interpreter hands the GIL over after 1 ms instead of 5: the inflating
# thread needs it back for a moment after each stretch of C work, and at 5 ms, beside a main
# thread busy importing, inflating WIOD 2011 took 0.26 s instead of 0.11 s (measured).
_SWITCH_INTERVAL = 0.001
_lock = threading.Lock()
_jobs: dict[str, _Job] = {}
_running = [0, 0.005]  # reads in progress, the switch interval to restore after the last


def _identity(path: str) -> tuple[int, ...]:
    info = os.stat(path)
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


class _Job:
    def __init__(self, path: str, limit: int) -> None:
        self.path = path
        self.limit = limit
        self.cancelled = threading.Event()
        self.identity: tuple[int, ...] | None = None
        self.data: bytes | None = None
        self.thread = threading.Thread(target=self._run, name="chainatlas-readahead", daemon=True)

    def _run(self) -> None:
        try:
            self._read()
        finally:
            with _lock:
                _running[0] -= 1
                if _running[0] == 0:
                    sys.setswitchinterval(_running[1])

    def _read(self) -> None:
        try:
            before = _identity(self.path)
            with open(self.path, "rb") as handle:
                raw = handle.read(self.limit + 1)
            data = inflate(raw, self.limit, self.cancelled)
            if data is not None and _identity(self.path) == before:
                self.identity, self.data = before, data
        except Exception:  # the loader's own read of the file reports any problem
            self.data = None


def inflate(raw: bytes, limit: int, cancelled: threading.Event | None = None) -> bytes | None:
    """``raw`` inflated (gzip, bzip2, xz by their magic bytes; else as is); None when it
    inflates past ``limit`` bytes or ``cancelled`` is set. Damaged or truncated data raises.

    The decompressor objects are fed the whole input at once: each call then releases the GIL
    for megabytes of work, where the file wrappers (bz2.open …) take it back every 8 KB of
    input — on a thread beside a start-up busy importing, that made inflating 50 % slower.
    """
    if raw[:2] == b"\x1f\x8b":
        import zlib

        return _inflate(raw, limit, cancelled, lambda: zlib.decompressobj(wbits=31))
    if raw[:3] == b"BZh":
        import bz2

        return _inflate(raw, limit, cancelled, bz2.BZ2Decompressor)
    if raw[:6] == b"\xfd7zXZ\x00":
        import lzma

        return _inflate(raw, limit, cancelled, lzma.LZMADecompressor)
    return raw  # not compressed: the limit is on inflation


def _inflate(
    raw: bytes, limit: int, cancelled: threading.Event | None, decompressor: Callable[[], Any]
) -> bytes | None:
    parts: list[bytes] = []
    size = 0
    pending = raw
    while pending:  # one compressed stream after another (pbzip2 and `cat` concatenate them)
        stream = decompressor()
        while not stream.eof:
            if cancelled is not None and cancelled.is_set():
                return None
            part = stream.decompress(pending, min(_CHUNK, limit + 1 - size))
            # zlib keeps input it has not used yet apart; bz2 and lzma keep it internally
            pending = getattr(stream, "unconsumed_tail", b"")
            size += len(part)
            if size > limit:
                return None
            if part:
                parts.append(part)
            elif not pending and not stream.eof and getattr(stream, "needs_input", True):
                raise EOFError("compressed data ends before its end-of-stream marker")
        pending = stream.unused_data
        if pending and not pending.strip(b"\0"):  # zero padding after the last stream
            break
    return b"".join(parts)


def start(path: str | os.PathLike[str], limit: int = MAX_INFLATED_BYTES) -> None:
    """Begin reading and inflating ``path`` (at most ``limit`` inflated bytes) in the background."""
    try:
        key = os.path.realpath(path)
        if not os.path.isfile(key):
            return
    except OSError:
        return
    with _lock:
        if key in _jobs:
            return
        job = _jobs[key] = _Job(key, limit)
        if _running[0] == 0:
            _running[1] = sys.getswitchinterval()
            sys.setswitchinterval(min(_SWITCH_INTERVAL, _running[1]))
        _running[0] += 1
    job.thread.start()


def take(path: str | os.PathLike[str]) -> bytes | None:
    """The inflated bytes of ``path`` read ahead, if they are of the file as it is now; once."""
    try:
        key = os.path.realpath(path)
    except OSError:
        return None
    with _lock:
        job = _jobs.pop(key, None)
    if job is None:
        return None
    job.thread.join()
    try:
        current = _identity(key)
    except OSError:
        return None
    return job.data if job.identity is not None and job.identity == current else None


def discard(path: str | os.PathLike[str]) -> None:
    """Stop reading ``path`` ahead and drop what was read (it is not needed after all)."""
    try:
        key = os.path.realpath(path)
    except OSError:
        return
    with _lock:
        job = _jobs.pop(key, None)
    if job is not None:
        job.cancelled.set()
