"""Ground-floor helpers that every layer may import (sources, computations, reporting,
interfaces): atomic file writes, table writers, year-range parsing. Nothing here imports
from any other chainatlas package except :mod:`chainatlas.errors`."""
