"""Sector-level VA networks (S4 item 72): the sector networks add up to the economy's."""

from __future__ import annotations

import numpy as np

from chainatlas.indicators.network import flow_matrices, hub_list, va_network


def test_sector_flows_add_up_to_country_flows(wiod_loader):
    model = wiod_loader(2000)
    _labels, whole = flow_matrices(model)
    total = {k: np.zeros_like(v) for k, v in whole.items()}
    for sector in model.sectors:
        _labels, part = flow_matrices(model, [sector])
        for k in total:
            total[k] += part[k]
    for k in whole:
        np.testing.assert_allclose(total[k], whole[k], rtol=1e-9, atol=1e-6)
    # two sectors at once = the sum of each
    _l, both = flow_matrices(model, ["c13", "c14"])
    _l, c13 = flow_matrices(model, ["c13"])
    _l, c14 = flow_matrices(model, ["c14"])
    np.testing.assert_allclose(both["complex"], c13["complex"] + c14["complex"], rtol=1e-12)


def test_ict_network_frame(wiod_loader):
    model = wiod_loader(2000)
    frame = va_network(model, sectors=["c14"])
    assert (frame["sectors"] == "c14").all() and frame.attrs["sectors"] == ["c14"]
    assert "sectors" not in va_network(model).columns  # whole-economy frames unchanged
    hubs = hub_list(frame[frame["type"] == "complex"])
    supply = hubs[hubs["role"] == "supply"]
    # each supply hub is the largest supplier of >= 3 importers in the c14 network
    _labels, flows = flow_matrices(model, ["c14"])
    F = flows["complex"].copy()
    np.fill_diagonal(F, -np.inf)
    largest = np.argmax(F, axis=0)
    degree = np.bincount(largest, minlength=len(_labels))
    expected = {_labels[i] for i in np.flatnonzero(degree >= 3)}
    assert set(supply["economy"]) == expected
