"""The pymrio side of the TiVA whole-process comparison (bench_process.py), as a pymrio user
writes it: read wiot_YYYY.RData with rdata, build an IOSystem with value added as a factor
input, ``calc_all()``, write the value-added footprint accounts as CSV.

Usage: python benchmarks/peers/pymrio_tiva.py <wiot_2011.RData> <out.csv>
The recorded peer timing (../shared/reference/peer_timings) describes the same work.
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pymrio
import rdata


def main(rdata_file: str, out: str) -> None:
    parsed = rdata.parser.parse_file(rdata_file)
    converted = rdata.conversion.convert(parsed)
    table = next(iter(converted.values()))
    countries = [str(c) for c in np.asarray(table["countries"])]
    sectors = [str(s) for s in np.asarray(table["industries"])]
    inter = np.asarray(table["inter"], dtype=float)
    final = np.asarray(table["final"], dtype=float)
    output = np.asarray(table["output"], dtype=float).reshape(-1)
    categories = final.shape[1] // len(countries)

    rows = pd.MultiIndex.from_product([countries, sectors], names=["region", "sector"])
    fd_columns = pd.MultiIndex.from_product(
        [countries, [f"fd{k + 1}" for k in range(categories)]], names=["region", "category"]
    )
    Z = pd.DataFrame(inter, index=rows, columns=rows)
    Y = pd.DataFrame(final, index=rows, columns=fd_columns)
    x = pd.DataFrame({"indout": output}, index=rows)
    value_added = pd.DataFrame(
        (output - inter.sum(axis=0))[None, :], index=["value added"], columns=rows
    )
    system = pymrio.IOSystem(Z=Z, Y=Y, x=x)
    system.factor_inputs = pymrio.Extension(name="factor_inputs", F=value_added)
    system.calc_all()
    accounts = system.factor_inputs
    frame = pd.concat(
        {"D_cba": accounts.D_cba, "D_pba": accounts.D_pba, "D_imp": accounts.D_imp,
         "D_exp": accounts.D_exp}
    )
    frame.to_csv(out)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
