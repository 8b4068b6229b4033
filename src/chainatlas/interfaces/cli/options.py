"""Shared CLI option parsing. The helpers live on the ground floor (:mod:`chainatlas.util`)
so that indicators, scenarios and reporting import them without reaching into interfaces/."""

from __future__ import annotations

import os

from chainatlas.util.files import atomic_write, refuse_output_over_input, write_table
from chainatlas.util.years import parse_years


def check_output(
    out: str | os.PathLike[str] | None,
    *,
    source: str | None = None,
    path: str | os.PathLike[str] | None = None,
    **inputs: str | os.PathLike[str] | None,
) -> None:
    """Refuse ``--out`` when it is an input of the run: ``--path`` (or, without it, the
    default data location of ``source``) and the other inputs given by option name
    (``db=…`` is checked as ``--db``)."""
    named: dict[str, str | os.PathLike[str] | None] = {"--path": path}
    if path is None and source:
        try:
            from chainatlas import sources

            named["the data directory"] = sources.resolve_path(source, None)
        except Exception:  # no default data: the command says so itself
            pass
    named |= {f"--{k.replace('_', '-')}": v for k, v in inputs.items()}
    refuse_output_over_input(out, named)


__all__ = ["atomic_write", "check_output", "parse_years", "write_table"]
