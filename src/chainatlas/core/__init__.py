"""Core input-output algebra: the validated model and the quantities every method shares."""

from chainatlas.core.model import MRIOModel, ValidationReport

__all__ = ["MRIOModel", "ValidationReport"]
