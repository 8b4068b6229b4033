"""Satellite accounts (environmental and socio-economic extensions) of an MRIO table.

An :class:`Extension` is one published account — EXIOBASE's ``satellite`` (F, F_Y), Eora's
Q/QY, GLORIA's TQ/YQ, WIOD's air emissions, land use or Socio-Economic Accounts — held as

* ``F``: stressors × GN, the amount each country-sector's production uses or emits
  (columns in the model's country-major row order);
* ``F_Y``: stressors × G·F, the amount emitted directly by final demand (households'
  own fuel burning…), columns in the model's ``Y_full`` order; ``None`` when the source
  publishes none;
* ``stressors`` (row labels, e.g. ``CO2 - combustion - air``) and ``units`` (one per
  stressor, as published: ``kg``, ``TJ``, ``1000 persons``…).

Footprints follow METHODS §15 (the satellite set): intensities S = F x̂⁻¹ (0 where x = 0),
multipliers M = S B, consumption-based accounts D_cba = M Y (by consumer country) plus the
direct final-demand part F_Y. These are pymrio's ``S``, ``M`` and ``D_cba``; the tests check
them against pymrio parsing the same files.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from chainatlas.errors import ValidationError


def _readonly(array: np.ndarray) -> np.ndarray:
    array = np.ascontiguousarray(array, dtype=np.float64)
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class Extension:
    """One named satellite account; build with :meth:`build` (which checks shapes)."""

    name: str
    F: np.ndarray  # (K, GN)
    stressors: tuple[str, ...]
    units: tuple[str, ...]
    F_Y: np.ndarray | None = None  # (K, G*F) or None
    description: str = ""

    @classmethod
    def build(
        cls,
        name: str,
        F: np.ndarray,
        stressors: Sequence[str],
        units: Sequence[str] | str,
        *,
        F_Y: np.ndarray | None = None,
        GN: int | None = None,
        GF: int | None = None,
        origin: str | None = None,
        description: str = "",
    ) -> Extension:
        """Check and freeze the arrays. ``GN``/``GF`` (when given) are the model's sizes."""
        F = np.asarray(F, dtype=np.float64)
        stressors = tuple(str(s) for s in stressors)
        if isinstance(units, str):
            units = (units,) * len(stressors)
        units = tuple(str(u) for u in units)
        where = f"extension {name!r}"
        if F.ndim != 2 or F.shape[0] != len(stressors):
            raise ValidationError(
                f"{where}: F has shape {F.shape}, expected ({len(stressors)}, GN) for its "
                f"{len(stressors)} stressors",
                path=origin,
            )
        if len(units) != len(stressors):
            raise ValidationError(
                f"{where}: {len(units)} units for {len(stressors)} stressors", path=origin
            )
        if len(set(stressors)) != len(stressors):
            seen: set[str] = set()
            dup = next(s for s in stressors if s in seen or seen.add(s))
            raise ValidationError(f"{where}: duplicate stressor {dup!r}", path=origin)
        if GN is not None and F.shape[1] != GN:
            raise ValidationError(
                f"{where}: F has {F.shape[1]} columns, the table has {GN} country-sectors",
                path=origin,
            )
        _check_finite(where, "F", F, stressors, origin)
        if F_Y is not None:
            F_Y = np.asarray(F_Y, dtype=np.float64)
            if F_Y.ndim != 2 or F_Y.shape[0] != len(stressors):
                raise ValidationError(
                    f"{where}: F_Y has shape {F_Y.shape}, expected ({len(stressors)}, G*F)",
                    path=origin,
                )
            if GF is not None and F_Y.shape[1] != GF:
                raise ValidationError(
                    f"{where}: F_Y has {F_Y.shape[1]} columns, the table has {GF} "
                    "final-demand columns",
                    path=origin,
                )
            _check_finite(where, "F_Y", F_Y, stressors, origin)
            F_Y = _readonly(F_Y)
        return cls(
            name=str(name),
            F=_readonly(F),
            stressors=stressors,
            units=units,
            F_Y=F_Y,
            description=description,
        )

    def stressor_position(self, stressor: str) -> int:
        if stressor in self.stressors:
            return self.stressors.index(stressor)
        lowered = [s.lower() for s in self.stressors]
        if stressor.lower() in lowered:
            return lowered.index(stressor.lower())
        shown = ", ".join(repr(s) for s in self.stressors[:8])
        more = ", …" if len(self.stressors) > 8 else ""
        raise ValidationError(
            f"extension {self.name!r} has no stressor {stressor!r}; it has {shown}{more}"
        )

    def row(self, stressor: str) -> np.ndarray:
        """F of one stressor, (GN,)."""
        return self.F[self.stressor_position(stressor)]

    def row_y(self, stressor: str) -> np.ndarray | None:
        """F_Y of one stressor, (G*F,), or None."""
        return None if self.F_Y is None else self.F_Y[self.stressor_position(stressor)]

    def unit(self, stressor: str) -> str:
        return self.units[self.stressor_position(stressor)]


def as_extensions(
    extensions: Sequence[Extension] | Mapping[str, Extension] | None,
) -> tuple[Extension, ...]:
    """Normalise to a tuple, checking that names are unique."""
    if not extensions:
        return ()
    items = tuple(extensions.values() if isinstance(extensions, Mapping) else extensions)
    names = [e.name for e in items]
    for item in items:
        if not isinstance(item, Extension):
            raise ValidationError(f"extensions must be Extension objects, not {type(item)}")
    if len(set(names)) != len(names):
        raise ValidationError(f"duplicate extension names: {', '.join(names)}")
    return items


def find_extension(extensions: Sequence[Extension], name: str, where: str = "") -> Extension:
    for ext in extensions:
        if ext.name == name or ext.name.lower() == name.lower():
            return ext
    if not extensions:
        raise ValidationError(
            f"{where}the table has no satellite accounts (asked for {name!r}); its source "
            "publishes none, or they were not found next to the table"
        )
    known = ", ".join(e.name for e in extensions)
    raise ValidationError(f"{where}no extension {name!r}; the table has: {known}")


def resolve_stressor(extensions: Sequence[Extension], spec: str) -> tuple[Extension, int]:
    """``NAME:STRESSOR`` (or just ``STRESSOR`` when one extension has it) → (ext, row)."""
    if ":" in spec:
        name, stressor = spec.split(":", 1)
        ext = find_extension(extensions, name.strip())
        return ext, ext.stressor_position(stressor.strip())
    hits = [(e, e.stressors.index(spec)) for e in extensions if spec in e.stressors]
    if len(hits) == 1:
        return hits[0]
    if not extensions:
        raise ValidationError(f"the table has no satellite accounts (asked for {spec!r})")
    if len(hits) > 1:
        raise ValidationError(
            f"stressor {spec!r} is in several extensions "
            f"({', '.join(e.name for e, _ in hits)}); write EXTENSION:STRESSOR"
        )
    raise ValidationError(
        f"no stressor {spec!r} in the table's extensions "
        f"({', '.join(e.name for e in extensions)}); write EXTENSION:STRESSOR, e.g. "
        f"{extensions[0].name}:{extensions[0].stressors[0]}"
    )


def _check_finite(where: str, what: str, array: np.ndarray, rows, origin) -> None:
    bad = ~np.isfinite(array)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise ValidationError(
            f"{where}: {what} has {int(bad.sum())} NaN/inf value(s), first at stressor "
            f"{rows[i]!r}, column {j + 1}",
            path=origin,
        )


def check_against_model(extensions, model) -> tuple[Extension, ...]:
    """Normalise and check every extension's columns against the model's GN and G·F."""
    items = as_extensions(extensions)
    GF = model.G * model.F
    for ext in items:
        if ext.F.shape[1] != model.GN:
            raise ValidationError(
                f"extension {ext.name!r}: F has {ext.F.shape[1]} columns, the table has "
                f"{model.GN} country-sectors"
            )
        if ext.F_Y is not None and ext.F_Y.shape[1] != GF:
            raise ValidationError(
                f"extension {ext.name!r}: F_Y has {ext.F_Y.shape[1]} columns, the table has "
                f"{GF} final-demand columns"
            )
    return items
