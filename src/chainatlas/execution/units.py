"""The unit of work: one (table, year) or one (table, year, batch) of a named task.

A unit carries only names and small parameters — the source, the path and the year — so a
worker loads its own table (``chainatlas.sources.load``) and no dense matrix travels through
the scheduler.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from chainatlas.errors import ChainAtlasError

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class WorkUnit:
    """One independent piece of a run.

    ``task`` names what is computed with which options (e.g. ``decompose_wwz_country``); it
    keys the completion markers, so two runs of the same task in one output directory share
    finished units and different tasks never do. ``params`` must be picklable and small.
    """

    task: str
    source: str
    path: str | None
    year: int
    batch: int | None = None
    params: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    memory_limit: int | None = None

    def __post_init__(self) -> None:
        if not _NAME.match(self.task):
            raise ChainAtlasError(
                f"task name {self.task!r} must be letters, digits and underscores "
                "(it names files and DuckDB views)"
            )

    @property
    def partition(self) -> str:
        """Hive-style partition path of this unit's rows in every dataset it writes."""
        part = f"year={self.year}"
        if self.batch is not None:
            part += f"/batch={self.batch}"
        return part

    @property
    def key(self) -> str:
        """Unique name of the unit across tasks (file-name safe)."""
        return f"{self.task}__{self.partition.replace('/', '__')}"


def dataset_name(*parts: str) -> str:
    """A dataset (and DuckDB view) name from labels: 'bm-source', 'country' -> bm_source_country."""
    name = "_".join(re.sub(r"[^A-Za-z0-9]+", "_", p).strip("_") for p in parts if p)
    if not _NAME.match(name):
        name = f"t_{name}"
    return name.lower()


__all__ = ["WorkUnit", "dataset_name"]
