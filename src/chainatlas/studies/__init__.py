"""Replication reports of the five source studies (STUDIES.md S0–S4).

``run_study("s3", StudyContext(source="wiod2013", path=..., years=[2010, 2011]))`` returns a
:class:`StudyReport`; :func:`chainatlas.studies.report.write_report` writes it as CSV,
Markdown and HTML. Every numbered item of the study is listed: computed on the given data,
or qualitative, or with the data and command that would fill it.
"""

from chainatlas.studies.common import (
    STATUSES,
    STUDIES,
    ItemResult,
    StudyContext,
    StudyReport,
    Value,
    catalogue,
    published_values,
    run_study,
)
from chainatlas.studies.regression import PanelRegression, panel_regression

__all__ = [
    "STATUSES",
    "STUDIES",
    "ItemResult",
    "PanelRegression",
    "StudyContext",
    "StudyReport",
    "Value",
    "catalogue",
    "panel_regression",
    "published_values",
    "run_study",
]
