"""The verdicts an answer citation carries: paper passage id -> the compact verdicts of the pairs in it.

Cached in memory and beside the live index generation (index/<generation>/audit.json), so the answer
pipeline pays for the audit once per index, not once per question, and never waits for it unless asked.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from ..core.cache import OnceCache
from ..core.settings import Settings, get_settings
from ..core.types import Passage
from ..index import generation_dir
from .engine import audit_fingerprint, cached_audit
from .verdicts import PairVerdict

# fingerprint -> {paper passage id: [verdict summaries]}. One: the table of the corpus this process serves.
_SUMMARIES: OnceCache[dict[str, list[dict]]] = OnceCache(maxsize=1)


def _cache_path(settings: Settings) -> Path | None:
    """index/<generation>/audit.json when the live index was built from this very corpus."""
    gen_dir = generation_dir(settings)
    return gen_dir / "audit.json" if gen_dir is not None else None


def _stored_summaries(path: Path | None, key: str) -> dict[str, list[dict]] | None:
    """The per-passage verdicts cached at path, if they were computed for this very fingerprint."""
    if path is None or not path.exists():
        return None
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    table = stored.get("by_passage") if isinstance(stored, dict) and stored.get("fingerprint") == key else None
    return table if isinstance(table, dict) else None


def _store_summaries(path: Path, key: str, table: dict[str, list[dict]]) -> None:
    try:
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        tmp.write_text(json.dumps({"fingerprint": key, "by_passage": table}, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)  # atomic: a concurrent reader sees the old file or the new one
    except OSError:
        pass  # a read-only index still answers; the cache is only an optimisation


def summaries_by_passage(verdicts: list[PairVerdict]) -> dict[str, list[dict]]:
    table: dict[str, list[dict]] = {}
    for verdict in verdicts:
        for pid in verdict.passage_ids:
            table.setdefault(pid, []).append(verdict.summary())
    return table


def verdict_summaries_by_passage(settings: Settings | None = None, embedder=None) -> dict[str, list[dict]]:
    """paper passage id → compact verdicts of the pairs in it; runs the audit when nothing is cached."""
    settings = settings or get_settings()
    key = audit_fingerprint(settings)
    table = _SUMMARIES.peek(key)
    if table is not None:
        return table
    # Built outside the cache's lock: verdict_summaries_if_ready must not wait for a running audit.
    path = _cache_path(settings)
    table = _stored_summaries(path, key)
    if table is None:
        table = summaries_by_passage(cached_audit(settings, embedder).verdicts)
        if path is not None:
            _store_summaries(path, key, table)
    return _SUMMARIES.get(key, lambda: table)


def verdict_summaries_if_ready(settings: Settings | None = None) -> dict[str, list[dict]] | None:
    """The per-passage verdicts when they cost nothing to get (in memory, or cached beside the live
    index); None when the audit would first have to run (~10 s), so an answer never waits for it."""
    settings = settings or get_settings()
    key = audit_fingerprint(settings)
    table = _SUMMARIES.peek(key)
    if table is not None:
        return table
    table = _stored_summaries(_cache_path(settings), key)
    return _SUMMARIES.get(key, lambda: table) if table is not None else None


def audit_verdicts_for(
    passage: Passage | str, ref: int | None = None, settings: Settings | None = None, embedder=None
) -> tuple[dict, ...]:
    """The audit verdicts of a paper passage's own citations (optionally only for reference [ref]), for
    an answer citation to carry: answer sentence → paper passage → source passage → verdict.
    A source passage or an unknown id has none."""
    pid = passage if isinstance(passage, str) else passage.id
    if not pid.startswith("paper:"):
        return ()
    found = verdict_summaries_by_passage(settings, embedder).get(pid, [])
    return tuple(v for v in found if ref is None or v["ref"] == ref)
