"""The validated, immutable multi-regional input-output model.

Notation follows ../shared/docs/METHODS.md §0: G countries (RoW included, as an ordinary
country), N sectors, GN = G·N rows in country-major order (all sectors of country 0, then
country 1, …), F final-demand categories per country.

The model holds only the published blocks (Z, final demand by category, gross output, value
added) plus labels; everything derived (A, B, the local inverses, v, Y by destination) is
computed lazily, once, and cached on the instance. Arrays are read-only so a cached result can
never be silently changed by a caller.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from chainatlas.core import lapack
from chainatlas.core.layout import EconomyLayout
from chainatlas.errors import ValidationError
from chainatlas.util.deferred import with_deferred_frames
from chainatlas.util.lazy import lazy_module

# imported on first use (a cached table is read and decomposed without pandas or SciPy)
pd = lazy_module("pandas")
scipy = lazy_module("scipy", "linalg")

# Relative tolerance under which a row's gap x - (Z1 + Y1) counts as balanced.
BALANCE_RTOL = 1e-9


def _readonly(array: np.ndarray) -> np.ndarray:
    array = np.ascontiguousarray(array, dtype=np.float64)
    array.setflags(write=False)
    return array


@dataclass(frozen=True)
class ValidationReport:
    """What validation found and did; kept on the model so outputs can cite it."""

    zero_output: tuple[str, ...] = ()
    balance_gap: pd.DataFrame | None = None  # per country-sector: x, row_total, gap, rel_gap
    rebalanced: bool = False
    notes: tuple[str, ...] = ()

    @property
    def max_relative_gap(self) -> float:
        if self.balance_gap is None or self.balance_gap.empty:
            return 0.0
        return float(self.balance_gap["rel_gap"].abs().max())


@dataclass(frozen=True, eq=False)
class MRIOModel:
    """One year of one MRIO table, validated.

    Build it with :meth:`from_arrays` (which validates); loaders in ``chainatlas.sources``
    return it. Attributes are read-only NumPy arrays in float64.
    """

    Z: np.ndarray  # (GN, GN) intermediate flows
    Y_full: np.ndarray  # (GN, G*F) final demand by destination country and category
    x: np.ndarray  # (GN,) gross output
    va: np.ndarray  # (GN,) value added = x - column sums of Z (METHODS §1)
    countries: tuple[str, ...]  # ISO3 codes, RoW as "ROW"
    sectors: tuple[str, ...]  # the source's sector codes, e.g. c1..c35
    fd_categories: tuple[str, ...]  # F final-demand category codes
    source_countries: tuple[str, ...] = ()  # the source's own country codes
    sector_names: tuple[str, ...] = ()
    fd_category_names: tuple[str, ...] = ()
    year: int | None = None
    source: str = "generic"
    units: str = "USD million, current prices"
    inventory_category: str | None = None  # FD category holding changes in inventories
    published_va: np.ndarray | None = None  # VA rows as published, when the source has them
    validation: ValidationReport = field(default_factory=ValidationReport)
    # Split/grouped economies (core/layout.py): the arrays are a padded uniform view whose
    # ``sectors`` are P·N slots; None for an ordinary uniform table.
    layout: EconomyLayout | None = None
    # satellite accounts (core/extensions.py): F (stressors x GN), F_Y, units; see with_extensions
    extensions: tuple = ()

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_arrays(
        cls,
        Z: np.ndarray,
        Y_full: np.ndarray,
        *,
        countries: Sequence[str],
        sectors: Sequence[str],
        fd_categories: Sequence[str],
        x: np.ndarray | None = None,
        rebalance: bool | None = None,
        source_countries: Sequence[str] | None = None,
        sector_names: Sequence[str] | None = None,
        fd_category_names: Sequence[str] | None = None,
        year: int | None = None,
        source: str = "generic",
        units: str = "USD million, current prices",
        inventory_category: str | None = None,
        published_va: np.ndarray | None = None,
        origin: str | None = None,
        accept_negative_output: bool = False,
        layout: EconomyLayout | None = None,
    ) -> MRIOModel:
        """Validate arrays and labels and build the model.

        ``x`` is the published gross output; when absent it is the row total Z1 + Y1.
        ``rebalance``: replace x by Z1 + Y1 so that x = Z1 + Y1 holds exactly. Default (None):
        on when the table is integer-valued (a rounded copy, like the WIOD R package) or
        when no x was given; off otherwise. The report says what was done.
        ``origin`` names the file the arrays came from, for error messages.
        ``accept_negative_output``: for tables derived from an already validated model
        (aggregation, counterfactuals) that carry its kept rounding artefacts; the rows are
        listed in the notes instead of raising.
        ``layout``: the arrays are the padded view of a table with split or grouped economies
        (``sectors`` must be ``layout.slot_labels()``); build it with :func:`from_parts`.
        """
        countries = tuple(str(c) for c in countries)
        sectors = tuple(str(s) for s in sectors)
        fd_categories = tuple(str(f) for f in fd_categories)
        G, N, F = len(countries), len(sectors), len(fd_categories)
        GN = G * N
        where = origin

        _check_labels("country", countries, where)
        _check_labels("sector", sectors, where)
        _check_labels("final-demand category", fd_categories, where)
        if layout is not None and (sectors != layout.slot_labels() or len(layout.parts) != G):
            raise ValidationError(
                "a padded layout needs one parts list per country and the slot labels as sectors",
                path=where,
            )
        real = np.ones(GN, dtype=bool) if layout is None else layout.real

        Z = np.asarray(Z, dtype=np.float64)
        Y_full = np.asarray(Y_full, dtype=np.float64)
        if Z.shape != (GN, GN):
            raise ValidationError(
                f"intermediate matrix Z has shape {Z.shape}, expected ({GN}, {GN}) for "
                f"{G} countries x {N} sectors",
                path=where,
            )
        if Y_full.shape != (GN, G * F):
            raise ValidationError(
                f"final demand has shape {Y_full.shape}, expected ({GN}, {G * F}) for "
                f"{G} countries x {F} categories",
                path=where,
            )
        row_labels = [f"{c}.{s}" for c in countries for s in sectors]
        fd_labels = [f"{c}.{f}" for c in countries for f in fd_categories]
        _check_finite("Z", Z, row_labels, row_labels, where)
        _check_finite("final demand", Y_full, row_labels, fd_labels, where)

        row_total = Z.sum(axis=1) + Y_full.sum(axis=1)
        if x is not None:
            x = np.asarray(x, dtype=np.float64).reshape(-1)
            if x.shape != (GN,):
                raise ValidationError(
                    f"gross output has {x.shape[0]} entries, expected {GN}", path=where
                )
            _check_finite("gross output", x[:, None], row_labels, ["x"], where)

        integer_valued = _integer_valued(Z) and _integer_valued(Y_full)
        if rebalance is None:
            rebalance = x is None or integer_valued
        notes: list[str] = []

        published_x = x
        if x is None:
            x = row_total.copy()
            notes.append("gross output taken as row totals Z1 + Y1 (none was supplied)")
        gap = x - row_total
        scale = np.maximum(np.abs(x), 1.0)
        # built into a DataFrame only when read (most commands never do; pandas costs 0.3 s)
        gap_columns = {
            "country": np.repeat(np.array(countries, dtype=object), N),
            "sector": np.tile(np.array(sectors, dtype=object), G),
            "x": x.copy(),
            "row_total": row_total.copy(),
            "gap": gap,
            "rel_gap": gap / scale,
        }
        if published_x is not None and np.any(published_x < 0) and not accept_negative_output:
            # a negative published output is bad input whatever rebalancing would make of it
            bad = np.flatnonzero(published_x < 0)
            shown = ", ".join(f"{row_labels[i]} ({published_x[i]:.6g})" for i in bad[:5])
            raise ValidationError(
                f"negative gross output in {bad.size} country-sector(s): {shown}", path=where
            )
        if rebalance:
            if published_x is not None and np.any(gap != 0):
                notes.append(
                    "rebalanced: gross output replaced by row totals Z1 + Y1 "
                    f"(largest gap {np.abs(gap).max():.6g}; table "
                    f"{'is integer-valued' if integer_valued else 'was not balanced'})"
                )
            x = row_total.copy()
        elif np.any(np.abs(gap) > BALANCE_RTOL * scale):
            worst_abs = int(np.argmax(np.abs(gap)))
            worst_rel = int(np.argmax(np.abs(gap) / scale))
            relative = gap[worst_rel] / scale[worst_rel]
            notes.append(
                f"not balanced: x differs from Z1 + Y1 by up to {gap[worst_abs]:.6g} "
                f"(at {row_labels[worst_abs]}) and by up to {relative:.3g} of output "
                f"(at {row_labels[worst_rel]}); pass rebalance=True to use row totals"
            )

        negative = np.flatnonzero(x < 0)
        if negative.size and rebalance and integer_valued and published_x is not None:
            # A rounded table can have row totals of -1 where the published output is 0 (a
            # rounded or truncated negative inventory change). Keep such rounding artefacts, as the
            # reference tools do, so identities stay exact; anything larger is an error.
            nonzero = (Z[negative] != 0).sum(axis=1) + (Y_full[negative] != 0).sum(axis=1)
            artefact = (published_x[negative] >= 0) & (-x[negative] <= 1.0 * nonzero + 1e-9)
            if artefact.any():
                kept = ", ".join(row_labels[i] for i in negative[artefact])
                notes.append(
                    f"rounding artefact kept: row totals below 0 at {kept} (published output "
                    "0); their A columns are 0 and v = va/x"
                )
            negative = negative[~artefact]
        if negative.size and accept_negative_output:
            notes.append(
                "negative output kept (derived table): "
                + ", ".join(f"{row_labels[i]} ({x[i]:.6g})" for i in negative[:10])
            )
            negative = negative[:0]
        if negative.size:
            shown = ", ".join(f"{row_labels[i]} ({x[i]:.6g})" for i in negative[:5])
            raise ValidationError(
                f"negative gross output in {negative.size} country-sector(s): {shown}",
                path=where,
            )
        zero = tuple(row_labels[i] for i in np.flatnonzero((x == 0) & real))
        if layout is not None:
            notes.append(layout.describe(countries))
        if zero:
            notes.append(
                f"{len(zero)} country-sector(s) with zero output: their A columns and v are 0"
            )

        stray = np.flatnonzero((x == 0) & (np.abs(Y_full).sum(axis=1) > 0) & real)
        if stray.size:
            # Rounded tables can hold +1/-1 final-demand entries in a sector with zero output:
            # with v = 0 there, they carry no value added, so V̂BY column sums miss them.
            notes.append(
                "final-demand entries in zero-output sector(s) "
                f"{', '.join(row_labels[i] for i in stray)} carry no value added "
                f"(largest {np.abs(Y_full[stray]).max():.6g})"
            )
        inputs_without_output = np.flatnonzero((x == 0) & (Z != 0).any(axis=0) & real)
        if inputs_without_output.size:
            # A zero-output column has A = 0, so its (rounding-sized) inputs drop out of B:
            # B y then equals x minus those inputs for the supplying rows.
            notes.append(
                "inputs of zero-output sector(s) "
                f"{', '.join(row_labels[i] for i in inputs_without_output)} are dropped by "
                f"A = Z x̂⁻¹ (total {np.abs(Z[:, inputs_without_output]).sum():.6g})"
            )
        va = x - Z.sum(axis=0)
        if published_va is not None:
            published_va = np.asarray(published_va, dtype=np.float64).reshape(-1)
            if published_va.shape != (GN,):
                raise ValidationError(
                    f"value added has {published_va.shape[0]} entries, expected {GN}",
                    path=where,
                )
            va_gap = np.abs(va - published_va) / np.maximum(np.abs(x), 1.0)
            if np.any(va_gap > 1e-6):
                worst = int(np.argmax(va_gap))
                notes.append(
                    "value added derived as x - column sums of Z differs from the published "
                    f"VA rows by up to {va_gap[worst]:.3g} of output at {row_labels[worst]}"
                )

        def names(values: Sequence[str] | None, default: tuple[str, ...]) -> tuple[str, ...]:
            if values is None:
                return default
            values = tuple(str(v) for v in values)
            if len(values) != len(default):
                raise ValidationError(
                    f"{len(values)} names given for {len(default)} labels", path=where
                )
            return values

        return cls(
            Z=_readonly(Z),
            Y_full=_readonly(Y_full),
            x=_readonly(x),
            va=_readonly(va),
            countries=countries,
            sectors=sectors,
            fd_categories=fd_categories,
            source_countries=names(source_countries, countries),
            sector_names=names(sector_names, sectors),
            fd_category_names=names(fd_category_names, fd_categories),
            year=year,
            source=source,
            units=units,
            inventory_category=inventory_category,
            published_va=None if published_va is None else _readonly(published_va),
            validation=with_deferred_frames(
                ValidationReport,
                {"zero_output": zero, "rebalanced": bool(rebalance), "notes": tuple(notes)},
                {"balance_gap": gap_columns},
            ),
            layout=layout,
        )

    @classmethod
    def from_parts(
        cls,
        Z: np.ndarray,
        Y_full: np.ndarray,
        *,
        countries: Sequence[str],
        part_codes: Sequence[str],
        part_country: Sequence[int],
        sectors: Sequence[str],
        fd_categories: Sequence[str],
        x: np.ndarray | None = None,
        published_va: np.ndarray | None = None,
        origin: str | None = None,
        **options,
    ) -> MRIOModel:
        """Build a model from a part-level table: K parts (CN1, CN2, AUS, …) × N sectors.

        ``part_country[k]`` is the position in ``countries`` of the economy part k belongs
        to; ``Y_full`` columns are by destination economy (``len(countries)`` × F). When
        every economy has exactly one part this is :meth:`from_arrays`; otherwise the model
        is the padded view of core/layout.py with flows between an economy's parts domestic.
        ``options`` are passed to :meth:`from_arrays`.
        """
        from chainatlas.core.layout import build_padded

        countries = tuple(str(c) for c in countries)
        layout, Z, Y_full, x, published_va = build_padded(
            np.asarray(Z, dtype=np.float64),
            np.asarray(Y_full, dtype=np.float64),
            None if x is None else np.asarray(x, dtype=np.float64).reshape(-1),
            None if published_va is None else np.asarray(published_va).reshape(-1),
            part_codes=part_codes,
            part_economy=part_country,
            n_economies=len(countries),
            industries=sectors,
            where=origin,
        )
        if layout is None:
            order = np.argsort(np.asarray(part_country), kind="stable")
            codes = [str(part_codes[k]) for k in order]
            options.setdefault("source_countries", codes)
        else:
            options.setdefault("source_countries", ["+".join(p) for p in layout.parts])
        return cls.from_arrays(
            Z,
            Y_full,
            countries=countries,
            sectors=sectors if layout is None else layout.slot_labels(),
            fd_categories=fd_categories,
            x=x,
            published_va=published_va,
            origin=origin,
            layout=layout,
            **options,
        )

    # ------------------------------------------------------------------ split economies
    @property
    def industries(self) -> tuple[str, ...]:
        """The N sector codes of the table (for a padded view: the industries, not slots)."""
        return self.sectors if self.layout is None else self.layout.industries

    def parts(self) -> tuple[tuple[str, ...], ...]:
        """Each economy's parts (its own code when it is not split or grouped)."""
        if self.layout is not None:
            return self.layout.parts
        return tuple((own,) for own in self.source_countries)

    def _part_level(self) -> tuple[np.ndarray, list[str], list[int]]:
        """Real rows of the table: (row positions, part code, economy) per part."""
        if self.layout is None:
            return np.arange(self.GN), list(self.source_countries), list(range(self.G))
        codes, economy = [], []
        for e, parts in enumerate(self.layout.parts):
            codes.extend(parts)
            economy.extend([e] * len(parts))
        return self.layout.real_index, codes, economy

    def merge_economies(self, groups: Mapping[str, Sequence[str]]) -> MRIOModel:
        """Treat each group of countries as ONE economy computed on its members' rows.

        Flows between members become domestic (the group is one exporter, as exvatools
        treats a group exporter such as NAFTA); members' final demand columns are summed;
        nothing is added or lost. The group takes the first member's position. Members
        absent from the table are ignored (at least one must be present).
        """
        rows, codes, economy = self._part_level()
        new_of_old: dict[int, str] = {}
        for name, members in groups.items():
            present = [m for m in members if m.upper() in {c.upper() for c in self.countries}]
            if not present:
                raise ValidationError(
                    f"group {name!r}: none of {', '.join(members)} is in the table",
                    location=f"{self.source} {self.year}",
                )
            for member in present:
                pos = self.country_position(member)
                if pos in new_of_old:
                    raise ValidationError(
                        f"country {self.countries[pos]!r} is in both {new_of_old[pos]!r} "
                        f"and {name!r}",
                        location=f"{self.source} {self.year}",
                    )
                new_of_old[pos] = name
        labels = [new_of_old.get(i, c) for i, c in enumerate(self.countries)]
        new_countries = list(dict.fromkeys(labels))
        economy_map = np.array([new_countries.index(lab) for lab in labels])
        part_country = [int(economy_map[e]) for e in economy]
        # group parts: each member's parts in table order
        order = np.argsort(np.array(part_country), kind="stable")
        n = len(self.industries)
        row_order = (
            np.concatenate([rows.reshape(len(codes), n)[k] for k in order]) if len(codes) else rows
        )
        Z = self.Z[np.ix_(row_order, row_order)]
        Gn = len(new_countries)
        Y = self.Y_full[row_order].reshape(len(row_order), self.G, self.F)
        Y_new = np.zeros((len(row_order), Gn, self.F))
        np.add.at(Y_new, (slice(None), economy_map), Y)
        return MRIOModel.from_parts(
            Z,
            Y_new.reshape(len(row_order), Gn * self.F),
            countries=new_countries,
            part_codes=[codes[k] for k in order],
            part_country=[part_country[k] for k in order],
            sectors=self.industries,
            fd_categories=self.fd_categories,
            x=self.x[row_order],
            rebalance=False,
            fd_category_names=self.fd_category_names,
            year=self.year,
            source=self.source,
            units=self.units,
            inventory_category=self.inventory_category,
            accept_negative_output=bool(np.any(self.x < 0)),
        )

    def merge_parts(self) -> MRIOModel:
        """The uniform table with each economy's parts summed (rows and columns).

        This is the OECD's published CHN/MEX aggregate; computing on it treats processing and
        non-processing activity as one technology and overstates China's domestic value
        added in exports (docs/decompositions.md). A uniform model is returned as it is.
        """
        if self.layout is None:
            return self
        collapse = self.layout.collapse_rows
        return MRIOModel.from_arrays(
            collapse(collapse(self.Z).T).T,
            collapse(self.Y_full),
            countries=self.countries,
            sectors=self.layout.industries,
            fd_categories=self.fd_categories,
            x=collapse(self.x),
            rebalance=False,
            source_countries=self.source_countries,
            fd_category_names=self.fd_category_names,
            year=self.year,
            source=self.source,
            units=self.units,
            inventory_category=self.inventory_category,
            published_va=None if self.published_va is None else collapse(self.published_va),
            accept_negative_output=bool(np.any(self.x < 0)),
        )

    # ------------------------------------------------------------------ extensions, pymrio
    def with_extensions(self, extensions) -> MRIOModel:
        """The same table with these satellite accounts (checked against its shape)."""
        from chainatlas.core.extensions import check_against_model

        return dataclasses.replace(self, extensions=check_against_model(extensions, self))

    def extension(self, name: str):
        """The satellite account called ``name`` (clear error listing the others)."""
        from chainatlas.core.extensions import find_extension

        return find_extension(self.extensions, name)

    @classmethod
    def from_pymrio(cls, io, **options) -> MRIOModel:
        """Build from a ``pymrio.IOSystem`` (sources/pymrio_io.py)."""
        from chainatlas.sources.pymrio_io import model_from_pymrio

        return model_from_pymrio(io, **options)

    def to_pymrio(self):
        """This table (and its extensions) as a ``pymrio.IOSystem`` (sources/pymrio_io.py)."""
        from chainatlas.sources.pymrio_io import model_to_pymrio

        return model_to_pymrio(self)

    # ------------------------------------------------------------------ dimensions, labels
    @property
    def G(self) -> int:
        return len(self.countries)

    @property
    def N(self) -> int:
        return len(self.sectors)

    @property
    def F(self) -> int:
        return len(self.fd_categories)

    @property
    def GN(self) -> int:
        return self.G * self.N

    @cached_property
    def row_index(self) -> pd.MultiIndex:
        """(country, sector) labels of the GN rows/columns."""
        return pd.MultiIndex.from_product(
            [self.countries, self.sectors], names=["country", "sector"]
        )

    def country_position(self, code: str) -> int:
        """Position of an ISO3 (or the source's own) country code; clear error if unknown."""
        code_upper = code.upper()
        for i, (iso, own) in enumerate(zip(self.countries, self.source_countries, strict=True)):
            if code_upper in (iso.upper(), own.upper()):
                return i
        raise ValidationError(
            f"unknown country {code!r}; the table has {', '.join(self.countries)}",
            location=f"{self.source} {self.year}",
        )

    def sector_position(self, code: str) -> int:
        for i, (sec, name) in enumerate(zip(self.sectors, self.sector_names, strict=True)):
            if code in (sec, name):
                return i
        raise ValidationError(
            f"unknown sector {code!r}; the table has {', '.join(self.sectors)}",
            location=f"{self.source} {self.year}",
        )

    def country_slice(self, country: int | str) -> slice:
        """Rows of one country in the GN ordering."""
        s = country if isinstance(country, int) else self.country_position(country)
        return slice(s * self.N, (s + 1) * self.N)

    # ------------------------------------------------------------------ derived quantities
    @cached_property
    def Y(self) -> np.ndarray:
        """Final demand by destination country, (GN, G): categories summed."""
        return _readonly(self.Y_full.reshape(self.GN, self.G, self.F).sum(axis=2))

    @cached_property
    def y(self) -> np.ndarray:
        """Final goods output by producing country-sector, (GN,)."""
        return _readonly(self.Y.sum(axis=1))

    @cached_property
    def inventories(self) -> np.ndarray:
        """Changes in inventories used by each country-sector's output, (GN,)."""
        if self.inventory_category is None:
            return _readonly(np.zeros(self.GN))
        k = self.fd_categories.index(self.inventory_category)
        return _readonly(self.Y_full.reshape(self.GN, self.G, self.F)[:, :, k].sum(axis=1))

    @cached_property
    def inverse_output(self) -> np.ndarray:
        """1/x with 0 where x = 0 (METHODS §1: zero output gives zero A column and v)."""
        with np.errstate(divide="ignore"):
            inv = np.where(self.x != 0, 1.0 / np.where(self.x != 0, self.x, 1.0), 0.0)
        return _readonly(inv)

    @cached_property
    def A(self) -> np.ndarray:
        """Input coefficients A = Z x̂⁻¹, (GN, GN)."""
        return _readonly(self.Z * self.inverse_output[None, :])

    @cached_property
    def v(self) -> np.ndarray:
        """Value-added coefficients v = va ⊘ x (0 where x = 0), (GN,)."""
        return _readonly(self.va * self.inverse_output)

    @cached_property
    def lu_factor(self) -> tuple[np.ndarray, np.ndarray]:
        """LU factorisation of (I − A), reused by every solve (scenarios, Ghosh, …), in the
        form ``scipy.linalg.lu_factor`` returns (core/lapack.py: without importing it)."""
        return lapack.lu_factor(self._identity_minus_a(), overwrite=True)

    def _identity_minus_a(self) -> np.ndarray:
        """A fresh I − A in Fortran order, for LAPACK to factor or invert in place (no identity
        matrix and no transposed copy: each fresh GN×GN array costs its page faults)."""
        identity_minus_a = np.empty((self.GN, self.GN), order="F")
        np.negative(self.A, out=identity_minus_a)
        identity_minus_a[np.diag_indices(self.GN)] += 1.0
        return identity_minus_a

    @cached_property
    def B(self) -> np.ndarray:
        """Global Leontief inverse B = (I − A)⁻¹, (GN, GN).

        LAPACK's getrf + getri (2n³ flops; numpy.linalg.inv solves against the identity,
        8n³/3); the LU kept for solves (``lu_factor``) is factored only when a caller needs it.
        """
        if self.layout is None:
            return _readonly(lapack.inverse(self._identity_minus_a(), overwrite=True))
        # Padded view: dummy rows and columns of A are 0, so I − A is the real rows' block
        # plus a unit block; invert the real block only (the padding costs no O(n³) work).
        real = self.layout.real_index
        system = np.asfortranarray(self.A[np.ix_(real, real)])  # becomes I − A_real in place
        np.negative(system, out=system)
        system[np.diag_indices(real.size)] += 1.0
        B = np.zeros((self.GN, self.GN))
        B[np.ix_(real, real)] = lapack.inverse(system, overwrite=True)
        del system
        dummy = np.flatnonzero(~self.layout.real)
        B[dummy, dummy] = 1.0
        return _readonly(B)

    @cached_property
    def va_origin_multipliers(self) -> np.ndarray:
        """(G, GN): row t = Σ_{i∈t} v_i B_ij — value added of origin country t per unit of
        output of country-sector j (METHODS §2.1: the G rows sum to 1 where x > 0).

        From B when a command already has it; otherwise solved as (I − A)ᵀ Xᵀ = Wᵀ with W
        the G block rows of v — one LU factorisation and G right-hand sides, a third of
        the time of forming B (0.04 s vs 0.12 s on WIOD's 1,435 rows), for the commands
        (KWW, TiVA) that need nothing more of B.
        """
        G, N, GN = self.G, self.N, self.GN
        if "B" in self.__dict__:
            per_origin = np.einsum(
                "ti,tij->tj", self.v.reshape(G, N), self.B.reshape(G, N, GN), optimize=True
            )
            return _readonly(per_origin)
        weights = np.zeros((GN, G))
        weights[np.arange(GN), self.country_of_row] = self.v
        if "lu_factor" in self.__dict__:
            return _readonly(lapack.lu_solve(self.lu_factor, weights, transposed=True).T)
        system = np.eye(GN) - self.A
        return _readonly(np.linalg.solve(system.T, weights).T)

    def leontief_solve(self, rhs: np.ndarray) -> np.ndarray:
        """Solve (I − A) X = rhs without forming B (for a few right-hand sides)."""
        return lapack.lu_solve(self.lu_factor, np.asarray(rhs, dtype=np.float64))

    def leontief_product(self, rhs: np.ndarray) -> np.ndarray:
        """B @ rhs: the product when this model holds B already, else an LU solve."""
        if "B" in self.__dict__:
            return self.B @ rhs
        return self.leontief_solve(rhs)

    @cached_property
    def B_diagonal_blocks(self) -> np.ndarray:
        """The G diagonal blocks B_ss of the Leontief inverse, (G, N, N).

        From B when the model holds it; otherwise from the LU factors of I − A and their
        triangular inverses (core/lapack.py), half the work of forming B — what WWZ and the
        source-based BM terms need of B besides a few products (``leontief_product``).
        """
        G, N = self.G, self.N
        idx = np.arange(G)
        if "B" not in self.__dict__ and self.layout is None:
            blocks = lapack.inverse_diagonal_blocks(self.lu_factor, G, N)
            if blocks is not None:
                return _readonly(blocks)
        return _readonly(self.B.reshape(G, N, G, N)[idx, :, idx, :])

    @cached_property
    def A_blocks(self) -> np.ndarray:
        """A as a (G, G, N, N) view: A_blocks[s, r] = A_sr."""
        return self.A.reshape(self.G, self.N, self.G, self.N).transpose(0, 2, 1, 3)

    @cached_property
    def B_blocks(self) -> np.ndarray:
        """B as a (G, G, N, N) view: B_blocks[s, r] = B_sr."""
        return self.B.reshape(self.G, self.N, self.G, self.N).transpose(0, 2, 1, 3)

    @cached_property
    def A_domestic(self) -> np.ndarray:
        """Diagonal blocks A_ss, (G, N, N)."""
        idx = np.arange(self.G)
        return _readonly(self.A_blocks[idx, idx])

    @cached_property
    def local_inverse(self) -> np.ndarray:
        """Block-diagonal local inverses L_ss = (I − A_ss)⁻¹ stacked as (G, N, N)."""
        eye = np.eye(self.N)[None, :, :]
        return _readonly(np.linalg.inv(eye - self.A_domestic))

    def local_inverse_full(self) -> np.ndarray:
        """L as a dense block-diagonal (GN, GN) matrix (only where an algorithm needs it)."""
        return scipy.linalg.block_diag(*self.local_inverse)

    @cached_property
    def exports(self) -> np.ndarray:
        """Bilateral gross exports E[i, r] of country-sector i to country r, (GN, G).

        E_sr = Z_sr u + Y_sr for r ≠ s; the domestic column (r = s) is 0.
        """
        Z_to_country = self.Z.reshape(self.GN, self.G, self.N).sum(axis=2)
        E = Z_to_country + self.Y
        own = np.repeat(np.arange(self.G), self.N)
        E[np.arange(self.GN), own] = 0.0
        return _readonly(E)

    @cached_property
    def total_exports(self) -> np.ndarray:
        """e_s*: total gross exports of each country-sector, (GN,)."""
        return _readonly(self.exports.sum(axis=1))

    @cached_property
    def country_of_row(self) -> np.ndarray:
        """Country position of each of the GN rows."""
        return np.repeat(np.arange(self.G), self.N)

    def describe(self) -> str:
        """One line naming the table, for notes under every result."""
        year = f" {self.year}" if self.year is not None else ""
        if self.layout is not None:
            split = sum(len(p) > 1 for p in self.layout.parts)
            return (
                f"{self.source}{year}: {self.G} countries x {self.layout.N} sectors "
                f"({split} computed on their parts), {self.units}"
            )
        return f"{self.source}{year}: {self.G} countries x {self.N} sectors, {self.units}"

    def __repr__(self) -> str:  # one line, like pymrio's, instead of every array
        return f"MRIOModel({self.describe()})"

    # ------------------------------------------------------------------ aggregation
    def aggregate(
        self,
        countries: Mapping[str, Sequence[str]] | None = None,
        sectors: Mapping[str, Sequence[str]] | None = None,
    ) -> MRIOModel:
        """Aggregate countries into groups and/or sectors into sector groups.

        Each mapping sends a new code to the list of old codes it contains. Every old code
        must be used exactly once (a country left out of every group stays as it is).
        Summing Z, final demand and x keeps the table balanced.
        """
        if self.layout is not None:
            raise ValidationError(
                "this table has split economies; aggregate after merge_parts() (or load it "
                "with split='merge')",
                location=f"{self.source} {self.year}",
            )
        country_map = _partition(self.countries, countries, "country", self)
        sector_map = _partition(self.sectors, sectors, "sector", self)
        new_countries = list(dict.fromkeys(country_map.values()))
        new_sectors = list(dict.fromkeys(sector_map.values()))
        c_idx = np.array([new_countries.index(country_map[c]) for c in self.countries])
        s_idx = np.array([new_sectors.index(sector_map[s]) for s in self.sectors])
        Gn, Nn = len(new_countries), len(new_sectors)
        row_to_new = (c_idx[:, None] * Nn + s_idx[None, :]).reshape(-1)
        agg = np.zeros((Gn * Nn, self.GN))
        agg[row_to_new, np.arange(self.GN)] = 1.0
        Z = agg @ self.Z @ agg.T
        fd_to_new = (c_idx[:, None] * self.F + np.arange(self.F)[None, :]).reshape(-1)
        fd_agg = np.zeros((Gn * self.F, self.G * self.F))
        fd_agg[fd_to_new, np.arange(self.G * self.F)] = 1.0
        Y_full = agg @ self.Y_full @ fd_agg.T
        x = agg @ self.x
        own_names = {c: o for c, o in zip(self.countries, self.source_countries, strict=True)}
        return MRIOModel.from_arrays(
            Z,
            Y_full,
            countries=new_countries,
            sectors=new_sectors,
            fd_categories=self.fd_categories,
            x=x,
            rebalance=False,
            source_countries=[own_names.get(c, c) for c in new_countries],
            sector_names=[
                dict(zip(self.sectors, self.sector_names, strict=True)).get(s, s)
                for s in new_sectors
            ],
            fd_category_names=self.fd_category_names,
            year=self.year,
            source=self.source,
            units=self.units,
            inventory_category=self.inventory_category,
            accept_negative_output=bool(np.any(self.x < 0)),
        )


# ---------------------------------------------------------------------- helpers
def _check_labels(kind: str, labels: tuple[str, ...], where: str | None) -> None:
    if not labels:
        raise ValidationError(f"no {kind} labels", path=where)
    missing = [i for i, label in enumerate(labels) if not label or label.lower() == "nan"]
    if missing:
        raise ValidationError(f"missing {kind} label at position {missing[0] + 1}", path=where)
    seen: set[str] = set()
    for label in labels:
        if label in seen:
            raise ValidationError(f"duplicate {kind} label {label!r}", path=where)
        seen.add(label)


# Larger magnitudes are no table in any currency unit, and their sums and products overflow
# to inf (two cells of 1e308 already do): refused like NaN, with the cell named.
MAX_ABS_VALUE = 1e100


def _integer_valued(array: np.ndarray, rows_per_slab: int = 64) -> bool:
    """Whether every value is a whole number; checked by slabs of rows, so the temporaries are
    a few hundred KB rather than a second copy of Z (whose fresh pages cost their faults)."""
    matrix = array.reshape(array.shape[0], -1) if array.ndim else array.reshape(1, 1)
    for start in range(0, matrix.shape[0], rows_per_slab):
        slab = matrix[start : start + rows_per_slab]
        if not np.array_equal(np.round(slab), slab):
            return False
    return True


def _check_finite(
    what: str, array: np.ndarray, rows: list[str], cols: list[str], where: str | None
) -> None:
    if array.size == 0 or (
        array.min() >= -MAX_ABS_VALUE and array.max() <= MAX_ABS_VALUE
    ):  # one pass each, no temporaries: NaN fails both comparisons
        return
    bad = ~np.isfinite(array)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise ValidationError(
            f"{what} has {int(bad.sum())} NaN/inf value(s), first at row {rows[i]} "
            f"(row {i + 1}), column {cols[j]} (column {j + 1})",
            path=where,
        )
    huge = np.abs(array) > MAX_ABS_VALUE
    if huge.any():
        i, j = np.argwhere(huge)[0]
        raise ValidationError(
            f"{what} has {int(huge.sum())} value(s) beyond ±{MAX_ABS_VALUE:.0e} (sums would "
            f"overflow), first {array[i, j]:.6g} at row {rows[i]} (row {i + 1}), column "
            f"{cols[j]} (column {j + 1}); check the file's units",
            path=where,
        )


def _partition(
    labels: tuple[str, ...],
    groups: Mapping[str, Sequence[str]] | None,
    kind: str,
    model: MRIOModel,
) -> dict[str, str]:
    mapping = {label: label for label in labels}
    if not groups:
        return mapping
    assigned: dict[str, str] = {}
    for new, members in groups.items():
        for member in members:
            if member not in mapping:
                raise ValidationError(
                    f"unknown {kind} {member!r} in group {new!r}",
                    location=f"{model.source} {model.year}",
                )
            if member in assigned:
                raise ValidationError(
                    f"{kind} {member!r} is in both {assigned[member]!r} and {new!r}",
                    location=f"{model.source} {model.year}",
                )
            assigned[member] = new
    mapping.update(assigned)
    return mapping
