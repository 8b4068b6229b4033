"""Deferred imports for heavy libraries (pandas, scipy, pyarrow) on the start-up path.

``pd = lazy_module("pandas")`` binds a stand-in that imports pandas on the first attribute
access (``pd.DataFrame``), so a module can keep its ``pd.X`` code while a command that never
touches pandas does not pay for importing it (~0.3 s of a 0.5 s command). The real module in
``sys.modules`` is never replaced: other code importing pandas gets pandas.
"""

from __future__ import annotations

from importlib import import_module
from types import ModuleType
from typing import Any


class LazyModule:
    """Stand-in for a module, imported on first attribute access."""

    __slots__ = ("_lazy_module", "_lazy_name", "_lazy_submodule")

    def __init__(self, name: str, submodule: str | None = None) -> None:
        object.__setattr__(self, "_lazy_name", name)
        object.__setattr__(self, "_lazy_submodule", submodule)
        object.__setattr__(self, "_lazy_module", None)

    def _load(self) -> ModuleType:
        module = self._lazy_module
        if module is None:
            if self._lazy_submodule:  # e.g. scipy + linalg: scipy.linalg must be imported
                import_module(f"{self._lazy_name}.{self._lazy_submodule}")
            module = import_module(self._lazy_name)
            object.__setattr__(self, "_lazy_module", module)
        return module

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self._load(), attribute)

    def __dir__(self) -> list[str]:
        return dir(self._load())

    def __repr__(self) -> str:
        state = "loaded" if self._lazy_module is not None else "not loaded yet"
        return f"<lazy module {self._lazy_name!r} ({state})>"


def lazy_module(name: str, submodule: str | None = None) -> Any:
    """A stand-in for ``import name`` (and ``import name.submodule``), imported on first use."""
    return LazyModule(name, submodule)


__all__ = ["LazyModule", "lazy_module"]
