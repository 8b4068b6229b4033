"""The CLI's rich consoles, each made on its first message.

Importing rich.console costs ~20 ms of every command's start-up (the command modules are all
imported to register their commands), and most commands print nothing through it; so a
console is created when something is first printed to it.
"""

from __future__ import annotations

from typing import Any


class LazyConsole:
    """A stand-in for ``rich.console.Console(stderr=...)`` that creates it on first use."""

    def __init__(self, *, stderr: bool = False) -> None:
        self._stderr = stderr
        self._console: Any = None

    def print(self, *objects: object, **options: Any) -> None:
        if self._console is None:
            from rich.console import Console

            self._console = Console(stderr=self._stderr)
        self._console.print(*objects, **options)


err_console = LazyConsole(stderr=True)
