"""Run the chainatlas CLI with Parquet writes that stall half-way (for kill tests).

``python slow_writer.py decompose …``: the first ``STALL_AFTER`` partition writes go through;
the next writes half of its bytes, touches ``$STALL_SIGNAL`` and sleeps, so the test can kill
the process in the middle of a write.
"""

from __future__ import annotations

import io
import os
import sys
import time
from pathlib import Path

import pandas as pd

_original = pd.DataFrame.to_parquet
_calls = [0]


def _stalling_to_parquet(self, path=None, *args, **kwargs):
    _calls[0] += 1
    if _calls[0] <= int(os.environ.get("STALL_AFTER", "1")):
        return _original(self, path, *args, **kwargs)
    buffer = io.BytesIO()
    _original(self, buffer, *args, **kwargs)
    data = buffer.getvalue()
    with open(path, "wb") as handle:
        handle.write(data[: len(data) // 2])
        handle.flush()
        os.fsync(handle.fileno())
        Path(os.environ["STALL_SIGNAL"]).write_text(str(path))
        time.sleep(60)
        handle.write(data[len(data) // 2 :])
    return None


pd.DataFrame.to_parquet = _stalling_to_parquet

if __name__ == "__main__":
    from chainatlas.interfaces.cli.main import run

    sys.argv[0] = "chainatlas"
    run(sys.argv[1:])
