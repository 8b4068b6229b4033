"""``chainatlas --help`` from the render cache (interfaces/cli/entry.py): the same bytes as a
fresh rendering, no typer/rich/numpy import when served, never a stale or an error text."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from chainatlas.interfaces.cli import entry


def run_entry(args: list[str], cache: Path, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "CHAINATLAS_CACHE": str(cache), "COLUMNS": "100", **env}
    environment.pop("CHAINATLAS_NO_CACHE", None)
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "chainatlas.interfaces.cli.entry", *args],
        capture_output=True,
        text=True,
        env=environment,
    )


def imported(stderr: str) -> set[str]:
    return {
        line.split("|")[-1].strip() for line in stderr.splitlines() if line.startswith("import")
    }


@pytest.mark.parametrize("args", [["--help"], ["decompose", "--help"], ["trade", "--help"]])
def test_served_help_equals_fresh_rendering_and_imports_nothing_heavy(tmp_path, args):
    fresh = run_entry(args, tmp_path / "other", CHAINATLAS_NO_CACHE="1")
    first = run_entry(args, tmp_path)
    second = run_entry(args, tmp_path)
    assert fresh.returncode == first.returncode == second.returncode == 0
    assert "Usage: chainatlas" in fresh.stdout
    assert first.stdout == fresh.stdout
    assert second.stdout == fresh.stdout
    # the first call rendered it (typer imported), the second read the stored text
    assert "typer" in imported(first.stderr)
    heavy = {"typer", "rich", "click", "numpy", "pandas"} & imported(second.stderr)
    assert not heavy, heavy
    assert len(list((tmp_path / "help").iterdir())) == 1


def test_width_and_arguments_are_part_of_the_key(tmp_path):
    narrow = run_entry(["--help"], tmp_path, COLUMNS="70")
    wide = run_entry(["--help"], tmp_path, COLUMNS="130")
    assert narrow.stdout != wide.stdout
    assert max(len(line) for line in narrow.stdout.splitlines()) <= 70
    again = run_entry(["--help"], tmp_path, COLUMNS="70")
    assert again.stdout == narrow.stdout
    assert len(list((tmp_path / "help").iterdir())) == 2


def test_errors_are_not_cached_and_other_options_take_the_cli(tmp_path):
    result = run_entry(["nosuch", "--help"], tmp_path)
    assert result.returncode == 2
    assert "No such command" in result.stderr
    assert not (tmp_path / "help").exists()
    assert entry.help_words(["decompose", "--method", "wwz", "--help"]) is None
    assert entry.help_words(["--no-cache", "--help"]) is None
    assert entry.help_words(["decompose"]) is None
    assert entry.help_words(["trade", "topk", "--help"]) == ["trade", "topk"]


def test_unwritable_cache_still_prints_help(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    result = run_entry(["--help"], blocker)
    assert result.returncode == 0
    assert "Usage: chainatlas" in result.stdout


def test_key_follows_package_files_libraries_and_environment(tmp_path, monkeypatch):
    package = tmp_path / "pkg"
    package.mkdir()
    module = package / "mod.py"
    module.write_text("a = 1\n")
    before = entry._package_state(str(package))
    stat = module.stat()
    module.write_text("a = 2\n")  # same size: the mtime tells
    os.utime(module, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1))
    assert entry._package_state(str(package)) != before
    (package / "__pycache__").mkdir()
    (package / "__pycache__" / "mod.cpython.pyc").write_bytes(b"x")
    assert entry._package_state(str(package)) == entry._package_state(str(package))

    key = entry.help_key(["decompose"])
    assert entry.help_key(["decompose"]) == key
    assert entry.help_key(["indicators"]) != key
    monkeypatch.setenv("NO_COLOR", "1")
    assert entry.help_key(["decompose"]) != key
    assert "typer/__init__.py" in entry._library_state("typer")
