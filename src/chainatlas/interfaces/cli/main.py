"""Entry point of the ``chainatlas`` command.

User errors (:class:`ChainAtlasError`) are printed as one clear line, without a traceback,
and the process exits with code 2. Ctrl-C exits 130 and SIGTERM 143, each with one line; both
unwind normally, so temporary files are removed and finished outputs stay as they were.
"""

from __future__ import annotations

import copy
import signal
import sys
from importlib import import_module

import typer

from chainatlas.errors import ChainAtlasError
from chainatlas.interfaces.cli import help as help_texts
from chainatlas.interfaces.cli.console import err_console

app = typer.Typer(
    name="chainatlas",
    help="Global value chains and industrial-chain security: decompositions, indicators, "
    "product-level vulnerability, scenarios and reports.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)



@app.callback()
def _global_options(
    no_cache: bool = typer.Option(
        False,
        "--no-cache",
        help="Parse tables afresh instead of reading the binary table cache "
        "(also: CHAINATLAS_NO_CACHE=1).",
    ),
) -> None:
    """Global value chains and industrial-chain security: decompositions, indicators,
    product-level vulnerability, scenarios and reports."""
    if no_cache:
        import os

        os.environ["CHAINATLAS_NO_CACHE"] = "1"  # read by chainatlas.sources.cache


# Modules that add commands; each defines register(app). Missing ones are skipped so a
# command under construction never breaks the others.
COMMAND_MODULES = (
    "decompose",
    "fetch",
    "indicators",
    "tables",
    "study",
    "trade",
    "scenario",
    "report",
    "serve",
    "demo",
)

for _name in COMMAND_MODULES:
    try:
        _module = import_module(f"chainatlas.interfaces.cli.{_name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"chainatlas.interfaces.cli.{_name}":
            raise
        continue
    _module.register(app)

help_texts.apply(app)  # examples, source list, no <bool> placeholders


class Terminated(BaseException):
    """SIGTERM, raised in the main thread so that cleanup (finally blocks) runs."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise Terminated


def app_for(argv: list[str]) -> typer.Typer:
    """The app with only the command named in ``argv`` registered (the whole app for --help,
    an unknown name or no name): typer builds the click objects of every registered command
    on each call, 0.05-0.2 s for all of ours, when running one command needs one."""
    name = next((arg for arg in argv if not arg.startswith("-")), None)
    if name is None:
        return app
    commands = [
        c for c in app.registered_commands
        if (c.name or typer.main.get_command_name(c.callback.__name__)) == name
    ]  # fmt: skip
    groups = [g for g in app.registered_groups if g.name == name]
    if (not commands and not groups) or any(not g.name for g in app.registered_groups):
        return app
    only = copy.copy(app)
    only.registered_commands, only.registered_groups = commands, groups
    return only


def run(argv: list[str] | None = None) -> None:
    """Run the CLI; exit code 2 with a one-line message for user errors."""
    try:
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:  # not the main thread (an embedding application): leave it alone
        previous = None
    try:
        _run(argv)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _run(argv: list[str] | None) -> None:
    try:
        args = sys.argv[1:] if argv is None else list(argv)
        code = app_for(args)(args=args, standalone_mode=False, prog_name="chainatlas")
        # without standalone mode click returns (not raises) the exit code of typer.Exit and
        # of Ctrl-C (130); pass it on
        if isinstance(code, int) and not isinstance(code, bool) and code != 0:
            sys.exit(code)
    except ChainAtlasError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except typer.Abort:
        err_console.print("aborted")
        sys.exit(130)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)
    except Terminated:
        err_console.print("terminated (SIGTERM); finished outputs are kept")
        sys.exit(143)
    except SystemExit:
        raise
    except MemoryError:
        err_console.print(
            "[bold red]error:[/] out of memory; try fewer years, a coarser level or "
            "--memory-limit",
            highlight=False,
        )
        sys.exit(2)
    except OSError as exc:
        # no permission, disk full, read-only file system: name the file, no traceback
        where = f": {exc.filename}" if exc.filename else ""
        err_console.print(
            f"[bold red]error:[/] {exc.strerror or exc}{where}", highlight=False, soft_wrap=True
        )
        sys.exit(2)
    except Exception as exc:
        if "Interrupt" in type(exc).__name__:  # DuckDB's InterruptException on Ctrl-C
            err_console.print("interrupted")
            sys.exit(130)
        # Usage errors (missing or bad options) come from the click that typer uses (vendored
        # in recent typer releases): they know how to show themselves and their exit code.
        if callable(getattr(exc, "show", None)) and isinstance(
            getattr(exc, "exit_code", None), int
        ):
            exc.show()
            sys.exit(exc.exit_code)
        raise


if __name__ == "__main__":  # pragma: no cover
    run()
