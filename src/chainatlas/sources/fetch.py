"""Download published tables into the fetch cache, verified and resumable.

Files land in ``CACHE/SOURCE/`` (``CACHE`` = ``--cache``, else ``$CHAINATLAS_CACHE``, else
``~/.cache/chainatlas``), which is where :func:`chainatlas.sources.resolve_path` looks when no
``--path`` or ``$CHAINATLAS_DATA`` is given.

Guarantees:

* **verified** — every file is checked against the SHA-256 in the packaged catalogue
  (``data/fetch_catalogue.toml``). For sources whose publisher gives no checksum, the digest
  of the first successful download is recorded in ``CACHE/SOURCE/manifest.json`` and every
  later download or re-check must match it (trust on first use);
* **resumable** — bytes go to ``CACHE/SOURCE/.NAME.part``; an interrupted transfer continues
  from where it stopped with an HTTP ``Range`` request (a server that ignores ranges restarts
  the file);
* **atomic** — the final name appears only after verification, via ``os.replace``; a
  checksum mismatch deletes the partial file and leaves any existing file untouched, so a
  good file is never replaced by a bad one.

Only the standard library (``urllib``) is used.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import tempfile
import time
import tomllib
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from chainatlas.data import path_of
from chainatlas.errors import ChainAtlasError, UnknownSourceError
from chainatlas.sources.paths import cache_dir

CHUNK = 1 << 16
MANIFEST = "manifest.json"
USER_AGENT = "chainatlas-fetch/0.1 (+https://github.com/; research use)"


class FetchError(ChainAtlasError):
    """A download that failed (network, HTTP status, or checksum)."""


@dataclass(frozen=True)
class CatalogueEntry:
    source: str
    description: str
    filename: str
    first_year: int
    last_year: int
    url_base: str
    sha256: dict[int, str]
    size: dict[int, int]
    exclude_years: tuple[int, ...] = ()
    homepage: str = ""  # the publisher's official download page

    @property
    def years(self) -> list[int]:
        span = range(self.first_year, self.last_year + 1)
        return [y for y in span if y not in self.exclude_years]

    def file_name(self, year: int) -> str:
        return self.filename.format(year=year, yy=f"{year % 100:02d}")


@dataclass(frozen=True)
class FetchResult:
    year: int
    path: Path
    status: str  # "present", "downloaded", "resumed"
    sha256: str
    verified_by: str  # "catalogue" or "manifest" or "recorded" (first download)
    bytes_downloaded: int


def load_catalogue() -> dict[str, CatalogueEntry]:
    data = tomllib.loads(path_of("fetch_catalogue.toml").read_text(encoding="utf-8"))
    entries = {}
    for name, spec in data.items():
        first, last = spec["years"]
        entries[name] = CatalogueEntry(
            source=name,
            description=spec.get("description", ""),
            filename=spec["filename"],
            first_year=int(first),
            last_year=int(last),
            url_base=spec.get("url_base", ""),
            sha256={int(k): str(v).lower() for k, v in spec.get("sha256", {}).items()},
            size={int(k): int(v) for k, v in spec.get("size", {}).items()},
            exclude_years=tuple(int(y) for y in spec.get("exclude_years", ())),
            homepage=spec.get("homepage", ""),
        )
    return entries


def catalogue_entry(source: str) -> CatalogueEntry:
    catalogue = load_catalogue()
    if source.lower() not in catalogue:
        raise UnknownSourceError(
            f"no download catalogue entry for source {source!r}; fetchable sources: "
            f"{', '.join(sorted(catalogue))}"
        )
    return catalogue[source.lower()]


# ---------------------------------------------------------------------------- manifest
def read_manifest(directory: Path) -> dict[str, dict]:
    file = directory / MANIFEST
    if not file.is_file():
        return {}
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ChainAtlasError(f"cannot read the fetch manifest ({exc})", path=str(file)) from exc


def _write_manifest(directory: Path, manifest: dict[str, dict]) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{MANIFEST}.", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(manifest, handle, indent=2, sort_keys=True)
        os.replace(tmp, directory / MANIFEST)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def sha256_of(file: Path) -> str:
    digest = hashlib.sha256()
    with file.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


# ---------------------------------------------------------------------------- transfer
def _download_to_part(
    url: str,
    part: Path,
    *,
    retries: int,
    timeout: float,
    progress: Callable[[int, int | None], None] | None,
) -> tuple[int, bool]:
    """Fill ``part`` with the whole resource; returns (bytes fetched now, resumed?)."""
    fetched = 0
    resumed = False
    last_error: Exception | None = None
    for attempt in range(retries + 1):
        offset = part.stat().st_size if part.exists() else 0
        headers = {"User-Agent": USER_AGENT}
        if offset:
            headers["Range"] = f"bytes={offset}-"
        request = urllib.request.Request(url, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                status = getattr(response, "status", 200)
                if offset and status == 206:
                    resumed = True
                    mode = "ab"
                    total = _total_from_content_range(response.headers.get("Content-Range"))
                else:
                    mode, offset = "wb", 0  # server sent the whole file: start over
                    length = response.headers.get("Content-Length")
                    total = int(length) if length and length.isdigit() else None
                with part.open(mode) as handle:
                    while chunk := response.read(CHUNK):
                        handle.write(chunk)
                        fetched += len(chunk)
                        if progress:
                            progress(handle.tell(), total)
            size = part.stat().st_size
            if total is not None and size < total:
                raise http.client.IncompleteRead(b"", total - size)
            return fetched, resumed
        except urllib.error.HTTPError as exc:
            if exc.code == 416 and offset:
                total = _total_from_content_range(exc.headers.get("Content-Range"))
                if total is None or total == offset:
                    return fetched, resumed  # the part file is already complete
                part.unlink()  # longer than the resource: not ours, start over
                last_error = exc
                continue
            if exc.code in (408, 429, 500, 502, 503, 504) and attempt < retries:
                last_error = exc
                time.sleep(min(2**attempt, 10) * 0.1)
                continue
            raise FetchError(f"HTTP {exc.code} {exc.reason}", path=url) from exc
        except (
            http.client.IncompleteRead,
            http.client.RemoteDisconnected,
            ConnectionError,
            TimeoutError,
            urllib.error.URLError,
            OSError,
        ) as exc:
            last_error = exc
            if isinstance(exc, urllib.error.URLError) and not isinstance(
                exc.reason, (ConnectionError, TimeoutError, OSError)
            ):
                raise FetchError(f"cannot open URL ({exc.reason})", path=url) from exc
            if attempt < retries:
                time.sleep(min(2**attempt, 10) * 0.1)
                continue
    raise FetchError(
        f"download failed after {retries + 1} attempt(s) ({last_error.__class__.__name__}: "
        f"{last_error}); run the command again to resume",
        path=url,
    )


def _total_from_content_range(value: str | None) -> int | None:
    # "bytes 100-199/200" -> 200
    if value and "/" in value:
        total = value.rsplit("/", 1)[1].strip()
        if total.isdigit():
            return int(total)
    return None


def fetch_file(
    url: str,
    target: Path,
    *,
    expected_sha256: str | None,
    retries: int = 3,
    timeout: float = 60.0,
    progress: Callable[[int, int | None], None] | None = None,
) -> tuple[str, str, int]:
    """Download ``url`` to ``target`` through ``.NAME.part``; verify; rename.

    Returns (status, sha256, bytes fetched). With ``expected_sha256`` a mismatch raises
    FetchError and deletes the partial file; ``target`` is never touched unless the new file
    verified.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(f".{target.name}.part")
    fetched, resumed = _download_to_part(
        url, part, retries=retries, timeout=timeout, progress=progress
    )
    digest = sha256_of(part)
    if expected_sha256 is not None and digest != expected_sha256.lower():
        part.unlink(missing_ok=True)
        raise FetchError(
            f"checksum mismatch: expected sha256 {expected_sha256}, got {digest}; the partial "
            "download was deleted"
            + (f" and the existing {target.name} kept" if target.exists() else ""),
            path=url,
        )
    os.replace(part, target)
    return ("resumed" if resumed else "downloaded"), digest, fetched


def fetch(
    source: str,
    years: Iterable[int] | None = None,
    *,
    cache: str | os.PathLike[str] | None = None,
    url_base: str | None = None,
    retries: int = 3,
    timeout: float = 60.0,
    on_file: Callable[[FetchResult], None] | None = None,
    progress: Callable[[str, int, int | None], None] | None = None,
) -> list[FetchResult]:
    """Fetch ``years`` of ``source`` into ``cache/source`` (see module docstring)."""
    entry = catalogue_entry(source)
    wanted = sorted(set(years)) if years is not None else entry.years
    unknown = [y for y in wanted if y not in entry.years]
    if unknown:
        raise ChainAtlasError(
            f"unknown year(s) {', '.join(map(str, unknown))} for {entry.source}; the catalogue "
            f"has {entry.first_year}-{entry.last_year}"
            + (f" except {', '.join(map(str, entry.exclude_years))}" if entry.exclude_years else "")
        )
    base = _normalise_url_base(url_base) if url_base else entry.url_base.rstrip("/")
    if not base:
        raise ChainAtlasError(
            f"no download address is known for {entry.source} ({entry.description}); pass "
            "--url-base URL naming a directory that serves "
            f"{entry.file_name(wanted[0])} and the other years"
            + (f" (the publisher's page: {entry.homepage})" if entry.homepage else "")
        )
    directory = Path(cache).expanduser() if cache is not None else cache_dir()
    directory = directory / entry.source
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # --cache names a file, or a place we may not write
        raise ChainAtlasError(
            f"cannot use the cache directory ({exc.strerror or exc})", path=str(directory)
        ) from exc
    manifest = read_manifest(directory)
    results = []
    for year in wanted:
        name = entry.file_name(year)
        target = directory / name
        url = f"{base}/{name}"
        catalogue_sha = entry.sha256.get(year)
        recorded_sha = manifest.get(name, {}).get("sha256")
        expected = catalogue_sha or recorded_sha
        verified_by = "catalogue" if catalogue_sha else ("manifest" if recorded_sha else "recorded")
        if target.exists():
            digest = sha256_of(target)
            if expected is None or digest == expected:
                if expected is None:
                    manifest[name] = _manifest_record(url, target, digest, "present")
                    _write_manifest(directory, manifest)
                result = FetchResult(year, target, "present", digest, verified_by, 0)
                results.append(result)
                if on_file:
                    on_file(result)
                continue
            # A file whose checksum is wrong: fetch a fresh copy; it replaces the bad file
            # only after it verified.
        step = (lambda done, total, _n=name: progress(_n, done, total)) if progress else None
        try:
            status, digest, fetched = fetch_file(
                url,
                target,
                expected_sha256=expected,
                retries=retries,
                timeout=timeout,
                progress=step,
            )
        except FetchError as exc:
            if verified_by == "manifest" and "checksum mismatch" in str(exc):
                # Say where the expected digest came from and how to accept a new upstream
                # version on purpose (docs/sources.md, trust on first use).
                detail = str(exc).removeprefix(url + ": ")
                raise FetchError(
                    f"{detail}; the expected digest was recorded on the first download "
                    f"in {directory / MANIFEST} — delete the {name!r} entry there to accept "
                    "a new upstream version",
                    path=url,
                ) from exc
            raise
        if catalogue_sha is None:
            manifest[name] = _manifest_record(url, target, digest, status)
            _write_manifest(directory, manifest)
        result = FetchResult(year, target, status, digest, verified_by, fetched)
        results.append(result)
        if on_file:
            on_file(result)
    return results


def _normalise_url_base(url_base: str) -> str:
    """An ``http(s)://`` or ``file://`` directory URL; a local directory becomes ``file://``.

    Checked up front so a typo (a bare path, ``ftp://``) is one clear error, not a
    traceback from urllib or four retries of a scheme we never meant to support.
    """
    text = url_base.strip()
    scheme = text.split("://", 1)[0].lower() if "://" in text else ""
    if scheme in ("http", "https", "file"):
        return text.rstrip("/")
    if not scheme:
        local = Path(text).expanduser()
        if local.is_dir():
            return local.resolve().as_uri()
        raise ChainAtlasError(
            "--url-base is neither an http(s):// or file:// URL nor an existing directory",
            path=text,
        )
    raise ChainAtlasError(
        f"--url-base: unsupported URL scheme {scheme + '://'!r}; use http://, https:// or "
        "file:// (or a local directory)",
        path=text,
    )


def _manifest_record(url: str, target: Path, digest: str, status: str) -> dict:
    return {
        "sha256": digest,
        "size": target.stat().st_size,
        "url": url,
        "recorded": datetime.now(UTC).isoformat(timespec="seconds"),
        "how": "first download" if status != "present" else "file already in the cache",
    }
