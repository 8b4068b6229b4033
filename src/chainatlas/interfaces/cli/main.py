"""Entry point of the ``chainatlas`` command.

User errors (:class:`ChainAtlasError`) are printed as one clear line, without a traceback,
and the process exits with code 2.
"""

from __future__ import annotations

import sys
from importlib import import_module

import typer
from rich.console import Console

from chainatlas.errors import ChainAtlasError
from chainatlas.interfaces.cli import help as help_texts

app = typer.Typer(
    name="chainatlas",
    help="Global value chains and industrial-chain security: decompositions, indicators, "
    "product-level vulnerability, scenarios and reports.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Modules that add commands; each defines register(app). Missing ones are skipped so a
# command under construction never breaks the others.
COMMAND_MODULES = (
    "decompose",
    "fetch",
    "indicators",
    "tables",
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

err_console = Console(stderr=True)


def run(argv: list[str] | None = None) -> None:
    """Run the CLI; exit code 2 with a one-line message for user errors."""
    try:
        code = app(args=argv, standalone_mode=False)
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
    except SystemExit:
        raise
    except Exception as exc:
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
