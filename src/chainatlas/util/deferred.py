"""Dataclass instances whose DataFrame fields are built on first access.

Building a DataFrame imports pandas (~0.3 s, most of a short command). A model's validation
report and a table read back from the cache carry DataFrames that many commands never look
at, so they hold the frame's columns (NumPy arrays) and build the frame when it is read.
The instance is of a subclass of the dataclass: ``isinstance`` holds, pickling and copying
give the plain dataclass, and :func:`pending_columns` lets a serialiser store the columns
without building the frame.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from functools import cached_property
from typing import Any

_SUBCLASSES: dict[tuple[type, tuple[str, ...]], type] = {}


def construct(cls: type, values: Mapping[str, Any]) -> Any:
    """``cls(**values)``, with fields that are not ``init`` arguments set afterwards."""
    init = {f.name for f in dataclasses.fields(cls) if f.init}
    instance = cls(**{k: v for k, v in values.items() if k in init})
    for name, value in values.items():
        if name not in init:
            object.__setattr__(instance, name, value)
    return instance


def build_frame(columns: Mapping[str, Any]) -> Any:
    import pandas as pd

    return pd.DataFrame(dict(columns))


def _subclass(cls: type, names: tuple[str, ...]) -> type:
    key = (cls, names)
    if key in _SUBCLASSES:
        return _SUBCLASSES[key]

    def make_property(name: str) -> cached_property:
        def build(self: Any) -> Any:
            return build_frame(self._deferred_columns[name])

        build.__name__ = name
        return cached_property(build)

    def reduce(self: Any) -> tuple:  # pickles (and copies) as the plain dataclass
        values = {f.name: getattr(self, f.name) for f in dataclasses.fields(cls)}
        return (construct, (cls, values))

    namespace: dict[str, Any] = {name: make_property(name) for name in names}
    namespace.update(_cached_base=cls, __reduce__=reduce, __module__=cls.__module__)
    subclass = type(cls.__name__, (cls,), namespace)
    _SUBCLASSES[key] = subclass
    return subclass


def with_deferred_frames(
    cls: type, values: Mapping[str, Any], frames: Mapping[str, Mapping[str, Any]]
) -> Any:
    """An instance of dataclass ``cls``: ``values`` as given, each of ``frames`` (field name ->
    ordered columns) built into a DataFrame on first access."""
    if not frames:
        return construct(cls, values)
    instance = object.__new__(_subclass(cls, tuple(sorted(frames))))
    for name, value in values.items():
        object.__setattr__(instance, name, value)
    object.__setattr__(instance, "_deferred_columns", {k: dict(v) for k, v in frames.items()})
    return instance


def pending_columns(instance: Any, name: str) -> Mapping[str, Any] | None:
    """The columns of deferred frame field ``name`` if it has not been built yet, else None."""
    deferred = getattr(instance, "_deferred_columns", None)
    if deferred is None or name not in deferred or name in instance.__dict__:
        return None
    return deferred[name]


def base_class(instance: Any) -> type:
    """The dataclass an instance of a deferred subclass stands for."""
    cls = type(instance)
    return cls.__dict__.get("_cached_base", cls)


__all__ = ["base_class", "build_frame", "construct", "pending_columns", "with_deferred_frames"]
