"""`chainatlas fetch` against a local HTTP server (127.0.0.1, no internet): verification,
resume with Range requests, atomic replacement, manifest on first download."""

from __future__ import annotations

import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest
from typer.testing import CliRunner

import chainatlas
from chainatlas.errors import ChainAtlasError, UnknownSourceError
from chainatlas.interfaces.cli.main import app
from chainatlas.sources.fetch import fetch, fetch_file, load_catalogue, read_manifest


class _Handler(BaseHTTPRequestHandler):
    files: ClassVar[dict[str, bytes]] = {}
    drop_once: ClassVar[set[str]] = set()  # names whose next GET stops halfway and closes
    requests: ClassVar[list[tuple[str, str | None]]] = []

    def log_message(self, *args):  # keep test output quiet
        pass

    def do_GET(self):
        name = self.path.rsplit("/", 1)[-1]
        range_header = self.headers.get("Range")
        self.requests.append((name, range_header))
        if name not in self.files:
            self.send_error(404)
            return
        data = self.files[name]
        start = 0
        if range_header and range_header.startswith("bytes="):
            start = int(range_header[6:].split("-")[0])
            if start >= len(data):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(data)}")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        body = data[start:]
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if name in self.drop_once:
            self.drop_once.discard(name)
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)


@pytest.fixture
def server():
    _Handler.files, _Handler.drop_once, _Handler.requests = {}, set(), []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield _Handler, f"http://127.0.0.1:{httpd.server_address[1]}/files"
    httpd.shutdown()
    httpd.server_close()


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ---------------------------------------------------------------------------- the catalogue
def test_catalogue_checksums_are_the_published_files(wiod_dir):
    """The wiod2013 hashes in the catalogue are those of the R-package files in shared data."""
    entry = load_catalogue()["wiod2013"]
    assert entry.years == list(range(1995, 2012))
    for year in entry.years:
        data = (wiod_dir / f"wiot_{year}.RData").read_bytes()
        assert _sha(data) == entry.sha256[year]
        assert len(data) == entry.size[year]


def test_fetch_real_file_verified_then_loadable(tmp_path, server, wiod_dir, monkeypatch):
    """Serve the real wiot_1995.RData: verified against the catalogue, loaded from the cache."""
    handler, base = server
    handler.files["wiot_1995.RData"] = (wiod_dir / "wiot_1995.RData").read_bytes()
    monkeypatch.setenv("CHAINATLAS_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("CHAINATLAS_DATA", raising=False)
    result = CliRunner().invoke(app, ["fetch", "wiod2013", "--years", "1995", "--url-base", base])
    assert result.exit_code == 0, result.output
    assert "downloaded" in result.output and "matches the catalogue" in result.output
    target = tmp_path / "cache" / "wiod2013" / "wiot_1995.RData"
    assert target.read_bytes() == handler.files["wiot_1995.RData"]
    # --path absent, CHAINATLAS_DATA absent: the loader finds the table in the fetch cache.
    model = chainatlas.load("wiod2013", year=1995)
    assert model.year == 1995 and model.G == 41
    assert chainatlas.sources.available_years("wiod2013") == [1995]
    # Second run: the good file is kept, nothing downloaded.
    handler.requests.clear()
    again = CliRunner().invoke(app, ["fetch", "wiod2013", "--years", "1995", "--url-base", base])
    assert again.exit_code == 0 and "already present" in again.output
    assert handler.requests == []


def test_checksum_mismatch_leaves_no_file(tmp_path, server):
    handler, base = server
    handler.files["wiot_1996.RData"] = b"not the published file"
    with pytest.raises(ChainAtlasError, match="checksum mismatch") as err:
        fetch("wiod2013", [1996], cache=tmp_path, url_base=base)
    assert "wiot_1996.RData" in str(err.value)
    assert list((tmp_path / "wiod2013").iterdir()) == []  # neither the file nor a .part


def test_never_replace_a_good_file_with_a_bad_one(tmp_path, server):
    handler, base = server
    good, bad = b"good table bytes" * 100, b"tampered bytes"
    target = tmp_path / "t.bin"
    target.write_bytes(good)
    handler.files["t.bin"] = bad
    with pytest.raises(ChainAtlasError, match=r"existing t\.bin kept"):
        fetch_file(f"{base}/t.bin", target, expected_sha256=_sha(good))
    assert target.read_bytes() == good
    assert not (tmp_path / ".t.bin.part").exists()


def test_bad_cached_file_is_replaced_once_a_good_copy_verified(tmp_path, server):
    handler, base = server
    data = b"R" * 5000
    handler.files["ICIO2023_2015.csv"] = data
    fetch("oecd-icio", [2015], cache=tmp_path, url_base=base)
    cached = tmp_path / "oecd-icio" / "ICIO2023_2015.csv"
    cached.write_bytes(data[:100])  # damaged later (e.g. disk full, manual edit)
    results = fetch("oecd-icio", [2015], cache=tmp_path, url_base=base)
    assert results[0].status == "downloaded" and results[0].verified_by == "manifest"
    assert cached.read_bytes() == data


def test_interrupted_download_resumes_with_range(tmp_path, server):
    handler, base = server
    data = bytes(range(256)) * 4000  # ~1 MB
    handler.files["ICIO2023_2016.csv"] = data
    handler.drop_once.add("ICIO2023_2016.csv")
    results = fetch("oecd-icio", [2016], cache=tmp_path, url_base=base, retries=2)
    target = tmp_path / "oecd-icio" / "ICIO2023_2016.csv"
    assert target.read_bytes() == data
    assert results[0].status == "resumed"
    ranges = [r for name, r in handler.requests if name == "ICIO2023_2016.csv"]
    assert ranges[0] is None and ranges[1] == f"bytes={len(data) // 2}-"
    assert not (target.parent / ".ICIO2023_2016.csv.part").exists()


def test_partial_file_from_an_earlier_run_is_continued(tmp_path, server):
    """A .part left by a killed process: the next run asks only for the missing bytes."""
    handler, base = server
    data = b"0123456789" * 1000
    handler.files["WIOT2010_Nov16_ROW.xlsb"] = data
    directory = tmp_path / "wiod2016"
    directory.mkdir()
    (directory / ".WIOT2010_Nov16_ROW.xlsb.part").write_bytes(data[:4321])
    results = fetch("wiod2016", [2010], cache=tmp_path, url_base=base)
    assert results[0].status == "resumed" and results[0].bytes_downloaded == len(data) - 4321
    assert (directory / "WIOT2010_Nov16_ROW.xlsb").read_bytes() == data
    assert handler.requests == [("WIOT2010_Nov16_ROW.xlsb", "bytes=4321-")]


def test_manifest_records_first_download_and_verifies_later(tmp_path, server):
    handler, base = server
    first = b"published bytes v1" * 50
    handler.files["ADB-MRIO-2019.xlsx"] = first
    fetch("adb", [2019], cache=tmp_path, url_base=base)
    manifest = read_manifest(tmp_path / "adb")
    assert manifest["ADB-MRIO-2019.xlsx"]["sha256"] == _sha(first)
    assert manifest["ADB-MRIO-2019.xlsx"]["how"] == "first download"
    # The file disappears from the cache; the server now serves something else: refused.
    (tmp_path / "adb" / "ADB-MRIO-2019.xlsx").unlink()
    handler.files["ADB-MRIO-2019.xlsx"] = b"changed upstream"
    with pytest.raises(ChainAtlasError, match="checksum mismatch"):
        fetch("adb", [2019], cache=tmp_path, url_base=base)
    assert not (tmp_path / "adb" / "ADB-MRIO-2019.xlsx").exists()


def test_errors_are_one_clear_line(tmp_path, server):
    _, base = server
    runner = CliRunner()
    result = runner.invoke(app, ["fetch", "wiod2013", "--years", "1990", "--cache", str(tmp_path)])
    assert result.exit_code != 0 and "unknown year" in str(result.exception or result.output)
    with pytest.raises(UnknownSourceError, match="fetchable sources"):
        fetch("nosuchsource", cache=tmp_path)
    with pytest.raises(ChainAtlasError, match="pass --url-base"):
        fetch("wiod2016", [2010], cache=tmp_path)
    with pytest.raises(ChainAtlasError, match="HTTP 404"):
        fetch("wiod2016", [2011], cache=tmp_path, url_base=base)
    assert not any(p.name.startswith("WIOT2011") for p in (tmp_path / "wiod2016").iterdir())


def test_cli_exit_code_and_listing(tmp_path, server):
    """Through the real entry point: one error line, exit code 2; --list shows sources."""
    import subprocess
    import sys

    code = "from chainatlas.interfaces.cli.main import run; run()"
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            code,
            "fetch",
            "wiod2016",
            "--years",
            "2010",
            "--cache",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "pass --url-base" in proc.stderr and "Traceback" not in proc.stderr
    listing = CliRunner().invoke(app, ["fetch", "--list"])
    assert listing.exit_code == 0
    for name in ("wiod2013", "wiod2016", "adb", "oecd-icio"):
        assert name in listing.output


def test_gaps_in_a_series_are_unknown_years(tmp_path):
    entry = load_catalogue()["adb"]
    assert 2000 in entry.years and 2007 in entry.years and 2003 not in entry.years
    with pytest.raises(ChainAtlasError, match=r"unknown year\(s\) 2003 .* except 2001"):
        fetch("adb", [2003], cache=tmp_path, url_base="http://127.0.0.1:9/none")


def test_stale_part_longer_than_the_file_is_discarded(tmp_path, server):
    handler, base = server
    data = b"abc" * 1000
    handler.files["ICIO2023_2001.csv"] = data
    directory = tmp_path / "oecd-icio"
    directory.mkdir()
    (directory / ".ICIO2023_2001.csv.part").write_bytes(b"x" * 5000)  # not this file
    results = fetch("oecd-icio", [2001], cache=tmp_path, url_base=base)
    assert (directory / "ICIO2023_2001.csv").read_bytes() == data
    assert results[0].status == "downloaded"
    assert [r for _, r in handler.requests] == ["bytes=5000-", None]


def test_url_base_local_directory_bare_path_and_bad_scheme(tmp_path):
    """A bare directory works as a mirror (file://); a missing one or ftp:// is one clear
    error naming it, exit code 2 — not a urllib traceback or four useless retries."""
    import subprocess
    import sys

    mirror = tmp_path / "mirror"
    mirror.mkdir()
    payload = b"icio csv bytes" * 10
    (mirror / "ICIO2023_2018.csv").write_bytes(payload)
    results = fetch("oecd-icio", [2018], cache=tmp_path / "cache", url_base=str(mirror))
    assert results[0].path.read_bytes() == payload
    assert results[0].verified_by == "recorded"

    code = "from chainatlas.interfaces.cli.main import run; run()"
    for url_base, message in (
        (str(tmp_path / "missing"), "neither an http(s):// or file:// URL"),
        ("ftp://mirror.example.org/icio", "unsupported URL scheme 'ftp://'"),
    ):
        proc = subprocess.run(
            [
                *(sys.executable, "-c", code, "fetch", "oecd-icio", "--years", "2017"),
                *("--cache", str(tmp_path / "cache"), "--url-base", url_base),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 2, proc.stderr
        assert message in proc.stderr and url_base in proc.stderr
        assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_manifest_mismatch_says_how_to_accept_a_new_version(tmp_path, server):
    handler, base = server
    handler.files["ADB-MRIO-2019.xlsx"] = b"v1" * 100
    fetch("adb", [2019], cache=tmp_path, url_base=base)
    (tmp_path / "adb" / "ADB-MRIO-2019.xlsx").unlink()
    handler.files["ADB-MRIO-2019.xlsx"] = b"v2" * 100
    with pytest.raises(ChainAtlasError) as info:
        fetch("adb", [2019], cache=tmp_path, url_base=base)
    message = str(info.value)
    assert "checksum mismatch" in message and "manifest.json" in message
    assert "delete the 'ADB-MRIO-2019.xlsx' entry" in message
    # Deleting the entry, as the message says, accepts the new version.
    manifest = read_manifest(tmp_path / "adb")
    del manifest["ADB-MRIO-2019.xlsx"]
    (tmp_path / "adb" / "manifest.json").write_text(json.dumps(manifest))
    assert fetch("adb", [2019], cache=tmp_path, url_base=base)[0].path.read_bytes() == b"v2" * 100


def test_cache_that_is_a_file_is_one_clear_error(tmp_path):
    """--cache naming a file used to end in a NotADirectoryError traceback."""
    not_a_directory = tmp_path / "cache.txt"
    not_a_directory.write_text("")
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    with pytest.raises(ChainAtlasError) as info:
        fetch("oecd-icio", [2018], cache=not_a_directory, url_base=str(mirror))
    assert str(info.value) == (
        f"{not_a_directory / 'oecd-icio'}: cannot use the cache directory (Not a directory)"
    )
