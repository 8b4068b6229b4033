"""A decomposition's tidy table as columns of arrays, for the Arrow writers (no pandas).

:func:`decomposition_columns` returns exactly the columns, rows and order of
``Decomposition.to_frame(level, wide=wide)`` (tested at every level), with label columns as
codes into the country/sector/term lists; ``util.fast_write`` writes them as CSV or Parquet
without building a DataFrame, so a one-year command never imports pandas.
"""

from __future__ import annotations

import numpy as np

from chainatlas.decompositions.tidy import LEVELS, Decomposition
from chainatlas.errors import ChainAtlasError
from chainatlas.util.fast_write import Column, Labels


def decomposition_columns(
    decomposition: Decomposition, level: str = "country", *, wide: bool = False
) -> dict[str, Column]:
    """The columns of ``decomposition.to_frame(level, wide=wide)`` (in order)."""
    if level not in LEVELS:
        raise ChainAtlasError(f"unknown level {level!r}; choose one of {', '.join(LEVELS)}")
    if decomposition.year is None:
        raise ChainAtlasError("a table without a year: use Decomposition.to_frame")
    countries, sectors = list(decomposition.countries), list(decomposition.sectors)
    G, N = len(countries), len(sectors)
    if level == "full":
        ex, im, se = np.meshgrid(np.arange(G), np.arange(G), np.arange(N), indexing="ij")
        keep = (ex != im).reshape(-1)
        keys = {
            "exporter": Labels(ex.reshape(-1)[keep], countries),
            "importer": Labels(im.reshape(-1)[keep], countries),
            "sector": Labels(se.reshape(-1)[keep], sectors),
        }
    elif level == "bilateral":
        ex, im = np.meshgrid(np.arange(G), np.arange(G), indexing="ij")
        keep = (ex != im).reshape(-1)
        keys = {
            "exporter": Labels(ex.reshape(-1)[keep], countries),
            "importer": Labels(im.reshape(-1)[keep], countries),
        }
    elif level == "sector":
        ex, se = np.meshgrid(np.arange(G), np.arange(N), indexing="ij")
        keep = np.ones(G * N, dtype=bool)
        keys = {
            "exporter": Labels(ex.reshape(-1), countries),
            "sector": Labels(se.reshape(-1), sectors),
        }
    elif level == "country":
        keep = np.ones(G, dtype=bool)
        keys = {"exporter": Labels(np.arange(G), countries)}
    else:
        keep = np.ones(1, dtype=bool)
        keys = {}
    terms = list(decomposition.terms)
    values = [
        np.asarray(decomposition.aggregate(name, level), dtype=np.float64).reshape(-1)[keep]
        for name in terms
    ]
    year = int(decomposition.year)
    if wide:
        return {"year": year, **keys, **dict(zip(terms, values, strict=True))}
    n, count = int(keep.sum()), len(terms)
    long_keys = {name: Labels(np.tile(lab.codes, count), lab.labels) for name, lab in keys.items()}
    return {
        "year": np.full(n * count, year, dtype=np.int64),
        **long_keys,
        "term": Labels(np.repeat(np.arange(count), n), terms),
        "value": np.concatenate(values) if values else np.zeros(0),
    }


def concat_columns(parts: list[dict[str, Column]]) -> dict[str, Column]:
    """Stack the columns of several years (the rows of one after the other's)."""
    if len(parts) == 1:
        return parts[0]
    names = list(parts[0])
    if any(list(part) != names for part in parts):
        raise ChainAtlasError("the years' tables have different columns; write them apart")

    def rows(part: dict[str, Column]) -> int:
        return max((len(c) for c in part.values() if not isinstance(c, int)), default=1)

    stacked: dict[str, Column] = {}
    for name in names:
        pieces = [part[name] for part in parts]
        if all(isinstance(p, Labels) for p in pieces):
            labels = list(dict.fromkeys(label for p in pieces for label in p.labels))
            position = {label: i for i, label in enumerate(labels)}
            codes = [
                np.where(p.codes < 0, -1, np.array([position[x] for x in p.labels] or [0])[p.codes])
                for p in pieces
            ]
            stacked[name] = Labels(np.concatenate(codes), labels)
        else:
            stacked[name] = np.concatenate(
                [np.full(rows(part), p) if isinstance(p, int) else p
                 for p, part in zip(pieces, parts, strict=True)]
            )
    return stacked


__all__ = ["concat_columns", "decomposition_columns"]
