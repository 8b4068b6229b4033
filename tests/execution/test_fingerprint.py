"""Unit fingerprints (issue 14): every input that determines a result enters by content."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from chainatlas.execution.fingerprint import persistent_memo, unit_fingerprint
from chainatlas.execution.units import WorkUnit


def _same_size_same_mtime(path: Path, text: str) -> None:
    before = path.stat()
    assert len(text.encode()) == before.st_size
    path.write_text(text)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _panel(root: Path) -> Path:
    for year in (2019, 2020):
        (root / str(year)).mkdir(parents=True)
        (root / str(year) / "Z.csv").write_text(f"z of {year}\n")
    (root / "codes.csv").write_text("code,name\n1,AAA\n")
    return root


def _unit(path: Path, year: int = 2020, **params) -> WorkUnit:
    return WorkUnit("t", "generic", str(path), year, params=params)


def test_yearless_files_enter_by_content_other_years_not_at_all(tmp_path):
    root = _panel(tmp_path / "panel")
    first = unit_fingerprint(_unit(root))
    assert first["inputs"] == {
        "2020/Z.csv": _sha256(root / "2020" / "Z.csv"),
        "codes.csv": _sha256(root / "codes.csv"),
    }
    _same_size_same_mtime(root / "codes.csv", "code,name\n1,BBB\n")
    second = unit_fingerprint(_unit(root))
    assert (
        second["inputs"]["codes.csv"] == _sha256(root / "codes.csv") != first["inputs"]["codes.csv"]
    )
    _same_size_same_mtime(root / "2019" / "Z.csv", "z of 2018\n")  # another year's file
    assert unit_fingerprint(_unit(root)) == second


def test_files_named_in_the_parameters_enter_by_content(tmp_path):
    root = _panel(tmp_path / "panel")
    groups = tmp_path / "groups.csv"
    groups.write_text("group,member\nG,AAA\n")
    concordances = tmp_path / "conc"
    concordances.mkdir()
    (concordances / "hs.csv").write_text("a,b\n")
    unit = _unit(
        root,
        kwargs={"groups": str(groups), "concordances": concordances, "level": "country"},
        missing=str(tmp_path / "nowhere.csv"),
    )
    inputs = unit_fingerprint(unit)["inputs"]
    assert inputs["param kwargs.groups"] == _sha256(groups)
    assert inputs["param kwargs.concordances"] == {"hs.csv": _sha256(concordances / "hs.csv")}
    # plain words and paths that do not exist are options, not files
    assert not any("level" in k or "missing" in k for k in inputs)
    _same_size_same_mtime(groups, "group,member\nG,BBB\n")
    assert unit_fingerprint(unit)["inputs"]["param kwargs.groups"] == _sha256(groups)


def test_persistent_memo_sees_an_edit_that_restores_size_and_mtime(tmp_path):
    root = _panel(tmp_path / "panel")
    memo_dir = tmp_path / "memo"
    memo = persistent_memo(memo_dir)
    first = unit_fingerprint(_unit(root), memo=memo)
    memo.save()
    assert (memo_dir / "file-hashes.json").is_file()
    _same_size_same_mtime(root / "2020" / "Z.csv", "z of 2021\n")
    again = persistent_memo(memo_dir)  # a later run reads the saved memo
    second = unit_fingerprint(_unit(root), memo=again)
    assert second["inputs"]["2020/Z.csv"] == _sha256(root / "2020" / "Z.csv")
    assert second != first


def test_large_parameter_directories_are_bounded_and_still_see_edits(tmp_path, monkeypatch):
    from chainatlas.execution import fingerprint

    root = _panel(tmp_path / "panel")
    data = tmp_path / "data"
    data.mkdir()
    for name in ("a.csv", "b.csv", "c.csv"):
        (data / name).write_text(f"{name}\n")
    monkeypatch.setattr(fingerprint, "_PARAM_HASH_BUDGET", 7)  # a.csv fits, b.csv does not
    unit = _unit(root, kwargs={"data": data})
    first = unit_fingerprint(unit)["inputs"]["param kwargs.data"]
    assert first["a.csv"] == _sha256(data / "a.csv")
    assert isinstance(first["b.csv"], list)  # by stat key past the budget
    _same_size_same_mtime(data / "b.csv", "B.csv\n")
    assert unit_fingerprint(unit)["inputs"]["param kwargs.data"]["b.csv"] != first["b.csv"]
    monkeypatch.setattr(fingerprint, "_MAX_LISTED_FILES", 2)
    capped = unit_fingerprint(unit)["inputs"]["param kwargs.data"]
    assert sorted(capped) == ["a.csv", "b.csv", "…"]


def test_the_runs_own_output_directory_in_the_parameters_is_no_input(tmp_path):
    root = _panel(tmp_path / "panel")
    out = tmp_path / "out"
    out.mkdir()
    (out / "results.duckdb").write_text("changes every run")
    unit = _unit(root, kwargs={"out": str(out), "log": str(out / "log.txt")})
    (out / "log.txt").write_text("x")
    inputs = unit_fingerprint(unit, exclude=out.resolve())["inputs"]
    assert not any(k.startswith("param") for k in inputs)
