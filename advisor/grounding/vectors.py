"""Sentence vectors with one process-wide, bounded cache: passage sentences recur across questions."""

from __future__ import annotations

import threading

import numpy as np
from cachetools import LRUCache

_VECTORS: LRUCache[str, np.ndarray] = LRUCache(maxsize=20_000)
_LOCK = threading.Lock()


def encode_cached(embedder, texts: list[str]) -> np.ndarray:
    """Vectors of texts (rows in order), encoding only the ones not seen recently."""
    with _LOCK:
        known = {t: _VECTORS[t] for t in dict.fromkeys(texts) if t in _VECTORS}
    todo = [t for t in dict.fromkeys(texts) if t not in known]
    if todo:
        fresh = dict(zip(todo, embedder.encode(todo)))
        with _LOCK:
            _VECTORS.update(fresh)
        known.update(fresh)
    return np.vstack([known[t] for t in texts]) if texts else np.zeros((0, 384), np.float32)


def remember_vectors(texts: list[str], vectors: np.ndarray) -> None:
    """Put vectors computed elsewhere (read back from disk) into the cache."""
    with _LOCK:
        _VECTORS.update(zip(texts, vectors))


def clear_vector_cache() -> None:
    """Forget every cached vector (benchmarks measure verification with a cold cache)."""
    with _LOCK:
        _VECTORS.clear()
