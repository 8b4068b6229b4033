"""Execution backends: where units run.

* ``local`` (default): one after the other in this process; NumPy's BLAS uses its own threads.
* ``dask``: a dask.distributed cluster — ``--scheduler tcp://HOST:PORT`` for a running
  scheduler, or ``--scheduler local:N`` for a LocalCluster of N single-threaded worker
  processes on this machine (started and stopped with the run).

Both expose ``run(func, calls)``, yielding ``(index, result)`` as calls finish, and
``close()``. The science never knows which backend runs it.
"""

from __future__ import annotations

import logging
import signal
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol

from chainatlas.errors import ChainAtlasError

BACKENDS = ("local", "dask")


class Backend(Protocol):
    name: str
    workers: int
    dashboard_link: str | None

    def check_importable(self, func: Callable[..., Any]) -> None: ...

    def run(self, func: Callable[..., Any], calls: Sequence[tuple]) -> Iterator[tuple[int, Any]]:
        """Run ``func(*args)`` for every args tuple; yield (index, result) as each finishes."""
        ...

    def close(self) -> None: ...


class LocalBackend:
    """In-process, in order."""

    name = "local"
    workers = 1
    dashboard_link = None

    def check_importable(self, func: Callable[..., Any]) -> None:
        pass  # same process

    def run(self, func: Callable[..., Any], calls: Sequence[tuple]) -> Iterator[tuple[int, Any]]:
        for index, args in enumerate(calls):
            yield index, func(*args)

    def close(self) -> None:
        pass


def parse_scheduler(scheduler: str | None) -> tuple[str, int | str]:
    """'local:4' -> ('local', 4); 'local' -> ('local', 2); 'tcp://h:8786' -> ('remote', addr)."""
    if scheduler is None or not scheduler.strip():
        raise ChainAtlasError(
            "--backend dask needs --scheduler: tcp://HOST:PORT for a running Dask scheduler, "
            "or local:N to start N workers on this machine"
        )
    text = scheduler.strip()
    if text == "local" or text.startswith("local:"):
        count = text.partition(":")[2] or "2"
        try:
            workers = int(count)
        except ValueError:
            workers = 0
        if workers < 1:
            raise ChainAtlasError(f"bad --scheduler {scheduler!r}: use local:N with N ≥ 1")
        return "local", workers
    if "://" not in text:
        text = f"tcp://{text}"
    scheme, _, address = text.partition("://")
    if scheme.lower() not in _SCHEDULER_SCHEMES:
        raise ChainAtlasError(
            f"bad --scheduler {scheduler!r}: unknown scheme {scheme + '://'!r}; use "
            "tcp://HOST:PORT (or tls://, ws://, wss://, inproc://) or local:N"
        )
    host, _, port = address.rpartition(":")
    if not address or (port and not port.isdigit()) or (":" in address and not host):
        raise ChainAtlasError(
            f"bad --scheduler {scheduler!r}: expected {scheme}://HOST:PORT, e.g. "
            "tcp://127.0.0.1:8786"
        )
    return "remote", text


_SCHEDULER_SCHEMES = ("tcp", "tls", "ws", "wss", "inproc", "ucx")


# Loggers of the event loop under dask.distributed that print tracebacks while a cluster is
# torn down mid-run ("Exception in callback …", CommClosedError, CancelledError).
_SHUTDOWN_LOGGERS = ("tornado", "asyncio", "distributed")


class DaskBackend:
    """dask.distributed: a LocalCluster started here, or an existing scheduler."""

    name = "dask"

    def __init__(self, scheduler: str | None, *, worker_memory: int | str | None = None):
        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:  # pragma: no cover - dask[distributed] is a dependency
            raise ChainAtlasError("the dask backend needs dask[distributed] installed") from exc
        kind, target = parse_scheduler(scheduler)
        self.cluster = None
        if kind == "local":
            # Worker processes started while SIGINT is ignored keep ignoring it (Python only
            # installs its KeyboardInterrupt handler when SIGINT is at its default), so Ctrl-C
            # in a terminal reaches this process alone and the cluster is shut down in order
            # instead of every worker printing a traceback.
            previous = None
            if threading.current_thread() is threading.main_thread():
                previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
            try:
                self.cluster = LocalCluster(
                    n_workers=int(target),
                    threads_per_worker=1,
                    processes=True,
                    memory_limit=worker_memory or "auto",
                    dashboard_address=":0",
                    silence_logs=logging.ERROR,
                )
            finally:
                if previous is not None:
                    signal.signal(signal.SIGINT, previous)
            self.client = Client(self.cluster)
        else:
            try:
                self.client = Client(str(target), timeout="20s")
            except OSError as exc:
                raise ChainAtlasError(
                    f"cannot reach the Dask scheduler at {target}: {exc}"
                ) from None
        self.scheduler = str(target) if kind == "remote" else self.client.scheduler.address

    @property
    def workers(self) -> int:
        return len(self.client.scheduler_info().get("workers", {}))

    @property
    def dashboard_link(self) -> str | None:
        try:
            return self.client.dashboard_link
        except Exception:  # no dashboard (bokeh missing) is not an error
            return None

    def check_importable(self, func: Callable[..., Any]) -> None:
        """Workers import unit functions by module name: fail clearly (instead of workers
        failing to unpickle the task) when a function's module is not importable there."""
        module = getattr(func, "__module__", None)
        name = getattr(func, "__qualname__", repr(func))
        if module in (None, "__main__") or "<locals>" in name:
            raise ChainAtlasError(
                f"unit function {name} must be defined at module level in an importable "
                "module (not __main__ or a closure) to run on Dask workers"
            )
        failures = {
            worker: error
            for worker, error in self.client.run(_import_error, module).items()
            if error
        }
        if failures:
            worker, error = next(iter(failures.items()))
            raise ChainAtlasError(
                f"Dask worker {worker} cannot import {module!r} for {name}: {error}; install "
                "the same packages on the workers or put the module on their PYTHONPATH"
            )

    def run(self, func: Callable[..., Any], calls: Sequence[tuple]) -> Iterator[tuple[int, Any]]:
        from distributed import as_completed

        run_id = uuid.uuid4().hex[:8]
        futures = [
            self.client.submit(func, *args, key=f"chainatlas-{run_id}-{i}", pure=False)
            for i, args in enumerate(calls)
        ]
        position = {future.key: i for i, future in enumerate(futures)}
        try:
            for future in as_completed(futures):
                yield position[future.key], future.result()
        except (Exception, GeneratorExit):
            raise
        except BaseException:
            # Ctrl-C or SIGTERM: what the event loop logs while the cluster is torn down
            # (closed comms, cancelled tasks) is tornado tracebacks that tell the user nothing
            self._quiet_shutdown()
            raise
        finally:
            # on error or Ctrl-C: stop what has not started; finished partitions are kept
            pending = [f for f in futures if not f.done()]
            if pending:
                self.client.cancel(pending)

    def close(self) -> None:
        quiet_during_close = not self._shutdown_levels
        self._quiet_shutdown()
        try:
            self.client.close()
        finally:
            try:
                if self.cluster is not None:
                    self.cluster.close()
            finally:
                if quiet_during_close:  # an orderly close: the loggers speak again
                    self._restore_loggers()

    _shutdown_levels: tuple = ()

    def _quiet_shutdown(self) -> None:
        """Silence the event loop's loggers, their children included (kept after an
        interrupt: the process is exiting)."""
        if self._shutdown_levels:
            return
        loggers = [logging.getLogger(name) for name in _SHUTDOWN_LOGGERS]
        self._shutdown_levels = tuple((logger, logger.level) for logger in loggers)
        for logger in loggers:
            logger.setLevel(logging.CRITICAL + 1)

    def _restore_loggers(self) -> None:
        for logger, level in self._shutdown_levels:
            logger.setLevel(level)
        self._shutdown_levels = ()


def _import_error(module: str) -> str | None:
    import importlib

    try:
        importlib.import_module(module)
    except Exception as exc:  # reported back to the client
        return f"{type(exc).__name__}: {exc}"
    return None


def make_backend(
    backend: str = "local", scheduler: str | None = None, *, worker_memory: int | None = None
) -> Backend:
    name = (backend or "local").lower()
    if name not in BACKENDS:
        raise ChainAtlasError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    if name == "local":
        if scheduler:
            raise ChainAtlasError("--scheduler needs --backend dask")
        return LocalBackend()
    return DaskBackend(scheduler, worker_memory=worker_memory)


__all__ = ["BACKENDS", "Backend", "DaskBackend", "LocalBackend", "make_backend", "parse_scheduler"]
