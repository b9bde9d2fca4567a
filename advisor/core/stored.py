"""Arrays computed once and kept on disk beside the index they were computed from (vocabulary vectors, the
planner's training features): read back when the key matches, recomputed otherwise. A read-only or missing
folder costs a recomputation, never an error."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np


def stored_arrays(path: Path | None, key: str, compute: Callable[[], dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    if path is not None and path.exists():
        try:
            with np.load(path, allow_pickle=False) as data:
                if str(data["_key"]) == key:
                    return {name: data[name] for name in data.files if name != "_key"}
        except (OSError, ValueError, KeyError):
            pass  # a damaged cache file is recomputed and replaced
    arrays = compute()
    if path is not None and path.parent.exists():
        tmp = path.with_name(f"{path.stem}.tmp{os.getpid()}.npz")
        try:
            np.savez(tmp, _key=np.array(key), **arrays)
            os.replace(tmp, path)  # atomic: a concurrent reader sees the old file or the new one
        except OSError:
            tmp.unlink(missing_ok=True)
    return arrays
