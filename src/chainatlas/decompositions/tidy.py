"""The common result type of gross-export decompositions and its tidy-table views.

Every bilateral-sector method returns a :class:`Decomposition` whose terms are (GN, G) arrays
— exporting country-sector × importing country, zero on the exporter's own column — so one
function turns any of them into the long table the CLI writes, at any level:

* ``full``: year, exporter, importer, sector, term, value
* ``bilateral``: year, exporter, importer, term, value
* ``sector``: year, exporter, sector, term, value
* ``country``: year, exporter, term, value
* ``world``: year, term, value

Country-level-only methods (KWW) hold (G,) arrays and support only ``country``/``world``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from chainatlas.core.layout import EconomyLayout
from chainatlas.core.model import MRIOModel
from chainatlas.decompositions.levels import LEVELS
from chainatlas.errors import ChainAtlasError
from chainatlas.util.lazy import lazy_module

pd = lazy_module("pandas")  # imported on first use (util/lazy.py)

_KEYS = {
    "full": ["exporter", "importer", "sector"],
    "bilateral": ["exporter", "importer"],
    "sector": ["exporter", "sector"],
    "country": ["exporter"],
    "world": [],
}


@dataclass(frozen=True)
class Decomposition:
    """Terms of one decomposition of one table-year."""

    method: str
    terms: dict[str, np.ndarray]  # term name -> (GN, G) or, country-level only, (G,)
    countries: tuple[str, ...]
    sectors: tuple[str, ...]
    year: int | None
    source: str
    notes: tuple[str, ...] = field(default=())
    # split/grouped economies (core/layout.py): ``terms`` rows are the model's padded rows
    # (``sectors`` its slots); every level sums each industry over the economy's parts
    layout: EconomyLayout | None = None

    @property
    def report_sectors(self) -> tuple[str, ...]:
        """The sector labels of results (industries; the padded slots are summed)."""
        return self.sectors if self.layout is None else self.layout.industries

    def term_rows(self, term: str) -> np.ndarray:
        """A term by reported row (economy x industry), (G·N, G) or (G,)."""
        values = self.terms[term]
        if self.layout is None or values.ndim == 1:
            return values
        return self.layout.collapse_rows(values)

    @classmethod
    def of(
        cls,
        model: MRIOModel,
        method: str,
        terms: dict[str, np.ndarray],
        notes: tuple[str, ...] = (),
    ) -> Decomposition:
        return cls(
            method,
            terms,
            model.countries,
            model.sectors,
            model.year,
            model.source,
            tuple(model.validation.notes) + tuple(notes),
            model.layout,
        )

    @property
    def country_level_only(self) -> bool:
        return next(iter(self.terms.values())).ndim == 1

    def aggregate(self, term: str, level: str) -> np.ndarray:
        """One term at a level: full (G, G, N) [exporter, importer, sector]; bilateral (G, G);
        sector (G, N); country (G,); world scalar array."""
        G, N = len(self.countries), len(self.report_sectors)
        if term not in self.terms:
            raise ChainAtlasError(
                f"{self.method} has no term {term!r}; its terms: {', '.join(self.terms)}"
            )
        values = self.term_rows(term)
        if values.ndim == 1:
            if level == "country":
                return values
            if level == "world":
                return np.asarray(values.sum())
            raise ChainAtlasError(
                f"{self.method} is defined at country level only (sector or bilateral "
                "values of KWW are not meaningful; use wwz or bm-source)"
            )
        cube = values.reshape(G, N, G).transpose(0, 2, 1)  # exporter, importer, sector
        if level == "full":
            return cube
        if level == "bilateral":
            return cube.sum(axis=2)
        if level == "sector":
            return cube.sum(axis=1)
        if level == "country":
            return cube.sum(axis=(1, 2))
        if level == "world":
            return np.asarray(cube.sum())
        raise ChainAtlasError(f"unknown level {level!r}; choose one of {', '.join(LEVELS)}")

    def to_frame(self, level: str = "country", *, wide: bool = False) -> pd.DataFrame:
        """The tidy long table (or one column per term with ``wide=True``)."""
        if level not in LEVELS:
            raise ChainAtlasError(f"unknown level {level!r}; choose one of {', '.join(LEVELS)}")
        countries = np.array(self.countries, dtype=object)
        sectors = np.array(self.report_sectors, dtype=object)
        G, N = len(countries), len(sectors)
        if level == "full":
            ex, im, se = np.meshgrid(np.arange(G), np.arange(G), np.arange(N), indexing="ij")
            keep = (ex != im).reshape(-1)
            keys = {
                "exporter": countries[ex.reshape(-1)[keep]],
                "importer": countries[im.reshape(-1)[keep]],
                "sector": sectors[se.reshape(-1)[keep]],
            }
        elif level == "bilateral":
            ex, im = np.meshgrid(np.arange(G), np.arange(G), indexing="ij")
            keep = (ex != im).reshape(-1)
            keys = {
                "exporter": countries[ex.reshape(-1)[keep]],
                "importer": countries[im.reshape(-1)[keep]],
            }
        elif level == "sector":
            ex, se = np.meshgrid(np.arange(G), np.arange(N), indexing="ij")
            keep = np.ones(G * N, dtype=bool)
            keys = {"exporter": countries[ex.reshape(-1)], "sector": sectors[se.reshape(-1)]}
        elif level == "country":
            keep = np.ones(G, dtype=bool)
            keys = {"exporter": countries}
        else:
            keep = np.ones(1, dtype=bool)
            keys = {}
        columns = {name: self.aggregate(name, level).reshape(-1)[keep] for name in self.terms}
        year = self.year if self.year is not None else pd.NA
        if wide:
            frame = pd.DataFrame({"year": year, **keys, **columns})
            return frame
        n = int(keep.sum())
        frames = []
        for name, values in columns.items():
            frames.append(pd.DataFrame({"year": year, **keys, "term": name, "value": values}))
        frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        assert len(frame) == n * len(columns)
        if level == "full":
            frame = frame[["year", "exporter", "importer", "sector", "term", "value"]]
        return frame
