"""Typer options shared by every command that can run on a backend.

Wiring a command (see docs/scaling.md, "Wiring a command")::

    from chainatlas.execution import cli as backend_cli

    def my_command(..., backend: str = backend_cli.backend_option(),
                   scheduler: str = backend_cli.scheduler_option(),
                   memory_limit: str = backend_cli.memory_limit_option()):
        backend_cli.check(backend, scheduler, memory_limit)
        result = run_per_year(..., backend=backend, scheduler=scheduler, ...)
"""

from __future__ import annotations

import typer

from chainatlas.execution.backends import BACKENDS, make_backend, parse_scheduler
from chainatlas.execution.memory import parse_memory_limit


def backend_option() -> typer.models.OptionInfo:
    return typer.Option(
        "local",
        "--backend",
        help=f"Where to run: {' or '.join(BACKENDS)} (dask needs --scheduler).",
    )


def scheduler_option() -> typer.models.OptionInfo:
    return typer.Option(
        None,
        "--scheduler",
        help="Dask scheduler: tcp://HOST:PORT, or local:N to start N workers here.",
    )


def memory_limit_option() -> typer.models.OptionInfo:
    return typer.Option(
        None,
        "--memory-limit",
        help="Memory per unit of work (e.g. 16GB); large tables are computed in batches that fit.",
    )


def check(backend: str, scheduler: str | None, memory_limit: str | None) -> None:
    """Fail fast (before loading anything) on bad backend options."""
    name = (backend or "local").lower()
    if name not in BACKENDS or (name == "local" and scheduler):
        make_backend(name, scheduler)  # raises the clear error
    if name == "dask":
        parse_scheduler(scheduler)
    parse_memory_limit(memory_limit)


__all__ = ["backend_option", "check", "memory_limit_option", "scheduler_option"]
