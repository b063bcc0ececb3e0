"""Writing a table so that a reader never sees half a file and a failure leaves nothing.

The frame goes to a temp file in the target's folder, then ``os.replace`` swaps it in
(atomic on one filesystem); on any failure the temp file is removed and the old file,
if any, stays as it was.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd


def write_table(frame: pd.DataFrame, path: Path) -> None:
    """CSV, or Parquet for ``*.parquet``, written atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    try:
        if path.suffix.lower() == ".parquet":
            frame.to_parquet(temp, index=False)
        else:
            frame.to_csv(temp, index=False)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
