"""The levels a decomposition's tidy table can be given at (kept apart from tidy.py so the
CLI can list them without importing NumPy)."""

LEVELS = ("full", "bilateral", "sector", "country", "world")
