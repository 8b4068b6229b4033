"""Local, read-only web atlas over chainatlas results (``chainatlas serve``)."""
