"""Arrays computed once and kept on disk beside the index they were computed from (vocabulary vectors, the
planner's training features): read back when the key matches, recomputed otherwise. A read-only or missing
folder costs a recomputation, never an error."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from functools import lru_cache
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


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """A hash of the package's own source: arrays computed by the pipeline's code (the answerability model's
    training rows run every tool) are stale after any change to it, which a hand-bumped version number missed."""
    package = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]
