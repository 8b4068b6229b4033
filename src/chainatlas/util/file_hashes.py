"""Content hashes of input files, memoised on what every write changes.

Shared by the table cache (sources/cache.py: which parsed table belongs to which files) and
the fingerprints of partitioned results (execution/fingerprint.py: is a stored result still
this input's). A file is rehashed whenever its (device, inode, size, mtime_ns, ctime_ns)
changed: ``ctime`` is set by the kernel on every write and cannot be set back by
``os.utime``, so rewriting a file's bytes and restoring its size and mtime is still seen.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

MEMO_NAME = "file-hashes.json"


def stat_key(stat: os.stat_result) -> list[int]:
    """(device, inode, size, mtime_ns, ctime_ns) of a file's status."""
    return [stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns]


def hash_file(path: Path) -> str:
    """SHA-256 of a file's content."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


class HashMemo:
    """stat key -> SHA-256 of files hashed before: in ``root/file-hashes.json`` (kept across
    runs; :meth:`save` writes it atomically), or in memory only when ``root`` is None."""

    def __init__(self, root: Path | None = None) -> None:
        self.file = None if root is None else Path(root) / MEMO_NAME
        self.entries: dict[str, list] = {}
        if self.file is not None:
            try:
                entries = json.loads(self.file.read_text("utf-8"))
                self.entries = entries if isinstance(entries, dict) else {}
            except (OSError, ValueError):
                self.entries = {}
        self.changed = False

    def digest(self, path: Path) -> str:
        name = str(Path(path).resolve())
        before = os.stat(path)
        known = self.entries.get(name)
        if isinstance(known, list) and len(known) == 2 and known[0] == stat_key(before):
            return str(known[1])
        digest = hash_file(path)
        if stat_key(os.stat(path)) == stat_key(before):  # not written to while hashing
            self.entries[name] = [stat_key(before), digest]
            self.changed = True
        return digest

    def save(self) -> None:
        if not self.changed or self.file is None:
            return
        try:
            self.file.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".memo.", dir=self.file.parent)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(self.entries, handle)
            os.replace(tmp, self.file)
        except OSError:
            pass


__all__ = ["MEMO_NAME", "HashMemo", "hash_file", "stat_key"]
