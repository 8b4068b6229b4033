"""The ``chainatlas`` console script: ``--help`` served from a render cache, else the CLI.

Rendering help takes typer, click and rich (and rich's Markdown support) — about 0.2 s of
imports and layout for a text that is the same every time for the same code, terminal and
environment. So the first ``chainatlas [command ...] --help`` renders it as usual and keeps
the bytes written under ``<cache dir>/help/<key>.txt``; the next one with the same key prints
them with nothing imported but the standard library's os, sys and hashlib.

The key covers everything the rendered text depends on: the arguments; every file of the
installed chainatlas package (path, size, mtime — the help lists sources, methods and options
read from its modules and data files); the typer, click and rich installations (the stat of
their ``__init__``); the Python version; whether standard output is a terminal, its size and
encoding; and the environment variables rich and typer read for width and colour. Anything
else — other options, a command without ``--help``, ``CHAINATLAS_NO_CACHE=1``, a cache
directory that cannot be written — takes the ordinary path. Entries are written to a
temporary file and renamed into place, so a reader never sees half an entry.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys

# Environment that changes what rich/typer render (width, colour, terminal detection).
_RENDER_ENV = (
    "COLUMNS", "LINES", "TERM", "COLORTERM", "NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE",
    "TTY_INTERACTIVE", "JUPYTER_COLUMNS", "JUPYTER_LINES", "CLICOLOR", "CLICOLOR_FORCE",
)  # fmt: skip
_LIBRARIES = ("typer", "click", "rich")


def help_words(argv: list[str]) -> list[str] | None:
    """The command words of a plain help request (``[cmd [sub]] --help``), else None."""
    if not argv or argv[-1] != "--help" or len(argv) > 4:
        return None
    words = argv[:-1]
    if any(not word or word.startswith("-") for word in words):
        return None
    return words


def _package_state(root: str) -> list[str]:
    state = []
    for directory, subdirs, files in os.walk(root):
        subdirs[:] = sorted(d for d in subdirs if d != "__pycache__")
        for name in sorted(files):
            if name.endswith((".pyc", ".pyo")):
                continue
            info = os.stat(os.path.join(directory, name))
            state.append(f"{directory}/{name}:{info.st_size}:{info.st_mtime_ns}")
    return state


def _library_state(name: str) -> str:
    for entry in sys.path:
        init = os.path.join(entry or ".", name, "__init__.py")
        try:
            info = os.stat(init)
        except OSError:
            continue
        return f"{init}:{info.st_size}:{info.st_mtime_ns}"
    return f"{name}:absent"


def help_key(words: list[str]) -> str:
    """The render-cache key of a help request in this process's terminal and environment."""
    digest = hashlib.sha256()
    tty = sys.stdout.isatty()
    size = ""
    if tty:
        try:
            size = str(tuple(os.get_terminal_size(sys.stdout.fileno())))
        except OSError:
            size = "unknown"
    package = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    parts = [
        "help-cache 1",
        sys.version,
        *words,
        f"tty={tty} size={size} encoding={getattr(sys.stdout, 'encoding', None)}",
        *(f"{name}={os.environ.get(name)}" for name in _RENDER_ENV),
        *(f"{k}={v}" for k, v in sorted(os.environ.items()) if "TYPER" in k),
        *(_library_state(name) for name in _LIBRARIES),
        *_package_state(package),
    ]
    digest.update("\n".join(parts).encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def _help_file(key: str) -> str:
    from chainatlas.util.cache_root import cache_dir

    return os.path.join(cache_dir(), "help", f"{key}.txt")


class _Tee:
    """sys.stdout that also keeps what is written (rich asks it isatty/fileno/encoding)."""

    def __init__(self, stream: object) -> None:
        self._stream = stream
        self.parts: list[str] = []

    def write(self, text: str) -> int:
        written = self._stream.write(text)  # type: ignore[attr-defined]
        # kept only once the real stream took it (click probes with b"" for a binary stream)
        self.parts.append(text)
        return written

    @property
    def buffer(self) -> object:  # a write to the binary layer would bypass the copy
        raise AttributeError("buffer")

    def __getattr__(self, name: str) -> object:
        return getattr(self._stream, name)


def _store(path: str, text: str) -> None:
    directory = os.path.dirname(path)
    temporary = f"{path}.{os.getpid()}.tmp"
    try:
        os.makedirs(directory, exist_ok=True)
        with open(temporary, "w", encoding="utf-8", errors="surrogateescape") as handle:
            handle.write(text)
        os.replace(temporary, path)
    except OSError:  # best effort: an unwritable cache only costs the next --help its time
        with contextlib.suppress(OSError):
            os.unlink(temporary)


def _option_values(argv: list[str]) -> dict[str, str]:
    """``--name value`` and ``--name=value`` pairs of an argument list (last one wins)."""
    values: dict[str, str] = {}
    for position, word in enumerate(argv):
        if not word.startswith("--"):
            continue
        name, equals, value = word.partition("=")
        if equals:
            values[name] = value
        elif position + 1 < len(argv):
            values[name] = argv[position + 1]
    return values


def table_file_hint(argv: list[str]) -> str | None:
    """The table file a command line will read first, when it is worth reading ahead.

    WIOD 2013 in R format (``--source wiod2013``): ``--path`` is the file, or the folder of
    ``wiot_YYYY.RData`` files and the (first) ``--year`` picks one — the naming of
    sources/wiod_r.py, whose loader takes what is read ahead (a test checks both agree). Its
    parse is one bzip2 inflation worth overlapping with start-up; other sources take the
    ordinary path. A wrong guess costs only the second core's time: the loader uses the bytes
    only if they are of the very file it opens, unchanged (util/readahead.py).
    """
    values = _option_values(argv)
    path = values.get("--path")
    if values.get("--source", "").lower() != "wiod2013" or not path:
        return None
    if os.path.isfile(path):
        return path
    year = (values.get("--year") or values.get("--years") or "")[:4]
    if not (year.isdigit() and os.path.isdir(path)):
        return None
    wanted = f"wiot_{year}.rdata"
    try:
        names = [name for name in os.listdir(path) if name.lower() == wanted]
    except OSError:
        return None
    return os.path.join(path, names[0]) if len(names) == 1 else None


def _read_ahead(argv: list[str]) -> None:
    try:
        hint = table_file_hint(argv)
    except (OSError, ValueError):
        return
    if hint is not None:
        from chainatlas.util import readahead

        readahead.start(hint)


def run() -> None:
    argv = sys.argv[1:]
    words = help_words(argv)
    no_cache = os.environ.get("CHAINATLAS_NO_CACHE", "").strip().lower() in (
        "1", "true", "yes", "on",
    )  # fmt: skip
    if words is None or no_cache:
        # OpenBLAS's idle threads spin for 2^28 cycles (~0.1 s) before sleeping, and NumPy's
        # and SciPy's wheels each bring an OpenBLAS with its own threads: on two cores one
        # library's spinning slowed the other's next call. 2^4 cycles: they sleep at once.
        # Measured on WIOD 2011, cold cache: bm-source 0.42-0.60 s -> 0.37-0.49 s and a
        # third less CPU; bm-sink 0.53-0.67 -> 0.48-0.59 s. A value the user set is kept.
        os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")
        if words is None:
            _read_ahead(argv)  # first: the reading overlaps the imports below
        from chainatlas.interfaces.cli import finish
        from chainatlas.interfaces.cli.main import run as run_cli

        finish.reset()
        try:
            run_cli()
        except SystemExit as exc:
            if exc.code not in (0, None):
                raise
        finish.exit_if_done()  # a command that wrote and reported all: no teardown wait
        return
    path = _help_file(help_key(words))
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as handle:
            text = handle.read()
    except OSError:
        text = None
    if text:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    from chainatlas.interfaces.cli.main import run as run_cli

    tee = _Tee(sys.stdout)
    sys.stdout = tee  # type: ignore[assignment]
    try:
        run_cli()
    except SystemExit as exc:
        if exc.code not in (0, None):
            raise
    finally:
        sys.stdout = tee._stream  # type: ignore[assignment]
    _store(path, "".join(tee.parts))


if __name__ == "__main__":  # pragma: no cover
    run()
