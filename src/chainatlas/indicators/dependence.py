"""Foreign dependence by industry (METHODS §11 FD): imported share of intermediate inputs.

FD_i = Σ_{t≠c(i)} Z_{t,i} / Σ_t Z_{t,i} for using country-sector i (all supplying sectors),
and by source: Z_{t,i} / Σ Z_{·,i}. Aggregates (country, sector group, country group,
world) are Σ numerators / Σ denominators over the using country-sectors. Source entities
are every country, every group (members other than the user itself) and ALL_FOREIGN.

Tidy columns: year, level, country, sector, source, indicator, value with indicators
``intermediate_inputs`` (denominator, source TOTAL), ``imported_inputs`` (numerator by
source) and ``imported_input_share``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from chainatlas.core.groups import ResolvedGroup
from chainatlas.core.model import MRIOModel
from chainatlas.indicators._common import (
    ALL,
    _entity_weights,
    attach_metadata,
    group_country_mask,
    resolve,
    safe_divide,
    sector_groups,
    share_exceptions,
)

ALL_FOREIGN = "ALL_FOREIGN"


def foreign_dependence(
    model: MRIOModel,
    groups: Sequence[str | ResolvedGroup] | None = None,
    *,
    user_groups=None,
    levels: Sequence[str] = ("country_sector", "country", "sector_group", "group", "world"),
) -> pd.DataFrame:
    """Imported share of intermediate inputs by using industry and by source."""
    resolved = resolve(model, groups, user_groups)
    G, N, GN = model.G, model.N, model.GN
    by_source = model.Z.reshape(G, N, GN).sum(axis=1)  # (G source, GN user)
    own = model.country_of_row
    foreign = by_source.copy()
    foreign[own, np.arange(GN)] = 0.0  # a user's own country is not a foreign source
    source_labels = list(model.countries)
    source_rows = [foreign]  # per-country sources (own country row 0)
    for group in resolved:
        mask = group_country_mask(model, group).astype(float)
        source_labels.append(group.name)
        source_rows.append((mask @ foreign)[None, :])
    source_labels.append(ALL_FOREIGN)
    source_rows.append(foreign.sum(axis=0)[None, :])
    numerators = np.vstack(source_rows)  # (S, GN)
    inputs = by_source.sum(axis=0)  # (GN,)

    # entities: country-sector rows plus aggregates from the shared weight matrix
    labels_level, labels_country, labels_sector = [], [], []
    weight_blocks = []
    if "country_sector" in levels:
        labels_level += ["country_sector"] * GN
        labels_country += list(np.repeat(model.countries, N))
        labels_sector += list(np.tile(model.sectors, G))
        weight_blocks.append(None)
    entities, weights = _entity_weights(model, resolved, sector_groups(model), levels)
    labels_level += [e.level for e in entities]
    labels_country += [e.country for e in entities]
    labels_sector += [e.sector for e in entities]
    num_parts, den_parts = [], []
    if "country_sector" in levels:
        num_parts.append(numerators)
        den_parts.append(inputs)
    if entities:
        num_parts.append(numerators @ weights.T)
        den_parts.append(weights @ inputs)
    num = np.hstack(num_parts)  # (S, n_entities)
    den = np.concatenate(den_parts)
    share = safe_divide(num, den[None, :])
    n_entities, n_sources = len(den), len(source_labels)
    ent = {
        "level": np.asarray(labels_level, dtype=object),
        "country": np.asarray(labels_country, dtype=object),
        "sector": np.asarray(labels_sector, dtype=object),
    }
    tiled = {k: np.tile(v, n_sources) for k, v in ent.items()}
    sources = np.repeat(np.asarray(source_labels, dtype=object), n_entities)
    # a country as its own source is not foreign: drop those rows
    self_source = (tiled["country"] == sources) & ~np.isin(
        tiled["level"], ["group", "group_sector_group"]
    )
    frames = [
        pd.DataFrame(
            {
                "year": model.year,
                **{k: v[~self_source] for k, v in tiled.items()},
                "source": sources[~self_source],
                "indicator": name,
                "value": values.ravel()[~self_source],
            }
        )
        for name, values in (("imported_inputs", num), ("imported_input_share", share))
    ]
    frames.append(
        pd.DataFrame(
            {
                "year": model.year,
                **ent,
                "source": ALL,
                "indicator": "intermediate_inputs",
                "value": den,
            }
        )
    )
    frame = pd.concat(frames, ignore_index=True)
    exceptions = share_exceptions(frame, ("imported_input_share",))
    notes = [
        "imported_input_share = Σ_{t≠c} Z_t,i / Σ_t Z_t,i (all supplying sectors); group "
        "sources exclude the user itself"
    ]
    return attach_metadata(frame, model, resolved, notes, exceptions)
