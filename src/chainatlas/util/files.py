"""Atomic file writes and table writers (a failed write never leaves a half-written file)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from chainatlas.errors import ChainAtlasError
from chainatlas.util.lazy import lazy_module

pd = lazy_module("pandas")  # imported on first use (util/lazy.py)


def atomic_write(path: str | os.PathLike[str], writer: Callable[[Path], None]) -> Path:
    """Write through a temporary file in the same directory, then rename over ``path``.

    A failure leaves whatever was at ``path`` untouched.
    """
    target = Path(path)
    if target.is_dir():
        raise ChainAtlasError("is a directory, expected a file name", path=str(target))
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:  # parent is a file, no permission, read-only file system, …
        raise ChainAtlasError(
            f"cannot write here ({exc.strerror or exc})", path=str(target)
        ) from exc
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        writer(tmp)
        # mkstemp creates 0600 files; give the result the mode a plain open() would (or the
        # mode of the file it replaces) so other users can read shared outputs.
        if target.exists():
            os.chmod(tmp, target.stat().st_mode & 0o7777)
        else:
            os.chmod(tmp, 0o666 & ~_current_umask())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_table(frame: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write a DataFrame as CSV or Parquet (by extension), atomically."""
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix == ".csv":  # Arrow's writer (util/fast_write.py), pandas' for unusual columns
        from chainatlas.util.fast_write import write_frame_csv

        return atomic_write(target, lambda tmp: write_frame_csv(frame, tmp))
    if suffix in (".parquet", ".pq"):
        return atomic_write(target, lambda tmp: frame.to_parquet(tmp, index=False))
    raise ChainAtlasError(
        f"unsupported output format {suffix!r}; use .csv or .parquet", path=str(target)
    )


def refuse_output_over_input(
    out: str | os.PathLike[str] | None,
    inputs: dict[str, str | os.PathLike[str] | None],
    *,
    option: str = "--out",
) -> None:
    """Refuse an output path that is (or would overwrite a file of) an input of the same run.

    ``inputs`` maps the option that names an input (``--path``, ``--db``, ``--spec``) to its
    path (None: not given). An output equal to an input file or directory, or a file inside
    an input directory that already exists (``--out tables/Z.csv`` next to ``--path
    tables``), would overwrite what the run reads: one error instead of a lost input.
    """
    if out is None:
        return
    target = _resolved(Path(out))
    for name, value in inputs.items():
        if value is None:
            continue
        source = _resolved(Path(value))
        if target == source:
            raise ChainAtlasError(
                f"{option} {out} is also the input of {name}: writing it would overwrite "
                "what this run reads; choose another output path",
                path=str(out),
            )
        if source.is_dir() and source in target.parents and target.is_file():
            raise ChainAtlasError(
                f"{option} {out} would overwrite a file of the input directory {name} "
                f"{value}; choose an output path outside it",
                path=str(out),
            )


def _resolved(path: Path) -> Path:
    try:
        return path.expanduser().resolve()
    except OSError:  # a symlink loop: compare as written
        return path.expanduser().absolute()
