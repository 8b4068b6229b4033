"""Reading the reference tools' outputs (../shared/reference/wiod2013_2011) and comparing by name.

The files spell RoW and Romania the WIOD way and keep the zero s == r rows; ours use ISO3
(ROW, ROU) and drop them. Rows are joined on keys, never by position.
"""

from __future__ import annotations

import pandas as pd

REFERENCE_CODES = {"RoW": "ROW", "ROM": "ROU"}
RENAME_KEYS = {
    "Exporting_Country": "exporter",
    "Importing_Country": "importer",
    "Exporting_Industry": "sector",
}
REL = 1e-9  # identity tolerance (METHODS §1)
REF_REL = 1e-8  # agreement with reference tools, relative to a term's largest |value|


def read_reference(path) -> pd.DataFrame:
    """A reference CSV with our key names and country codes."""
    frame = pd.read_csv(path)
    for column in ("Exporting_Country", "Importing_Country"):
        if column in frame:
            frame[column] = frame[column].replace(REFERENCE_CODES)
    return frame.rename(columns=RENAME_KEYS)


def compare_by_name(ours: pd.DataFrame, reference: pd.DataFrame, keys, names) -> dict:
    """Join on keys (never position); worst |Δ| / max|reference| per term (ours -> ref name)."""
    if "importer" in reference:  # reference tools keep the zero s == r rows; we drop them
        reference = reference[reference["exporter"] != reference["importer"]]
    reference = reference.rename(columns={c: f"ref_{c}" for c in reference if c not in keys})
    joined = reference.merge(ours, on=keys, how="outer", indicator=True)
    assert (joined["_merge"] == "both").all(), joined[joined["_merge"] != "both"][keys].head()
    worst = {}
    for ours_name, ref_name in names.items():
        ref_values = joined[f"ref_{ref_name}"]
        scale = max(ref_values.abs().max(), 1.0)
        worst[ours_name] = float((joined[ours_name] - ref_values).abs().max() / scale)
    return worst
