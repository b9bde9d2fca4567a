"""Index lifecycle: build (incremental, atomic), open, and recover.

Layout of index/ (embedded Chroma) — the Chroma server variant keeps collections on the server:

    index/chroma/              Chroma PersistentClient (one collection per generation)
    index/g<stamp>/            passages.jsonl + bm25/ for that generation
    index/current.json         pointer to the live generation; replaced atomically (os.replace)

A build writes a whole new generation beside the live one and flips the pointer last, so a
build killed half-way leaves the previous generation answering. Embeddings are reused by
content hash, so an unchanged passage is never embedded twice.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import bm25s
import numpy as np

from ..core.settings import Settings, get_settings
from ..core.types import Passage
from ..corpus import corpus_files, load_corpus
from .bm25 import bm25_tokenize
from .chroma import chroma_client, pointer_path
from .errors import ChromaUnavailable, IndexCorrupt, IndexMissing

log = logging.getLogger(__name__)

SCHEMA_VERSION = 5  # bump when passage parsing or the stored layout changes
ADD_BATCH = 256


@dataclass
class BuildSummary:
    passages: int
    embedded: int
    reused: int
    removed: int
    seconds: float
    generation: str
    up_to_date: bool = False

    def line(self) -> str:
        state = "index up to date" if self.up_to_date else f"index built ({self.generation})"
        return (f"{state}: {self.passages} passages, {self.embedded} embedded, {self.reused} reused, "
                f"{self.removed} removed, {self.seconds:.1f} s")



def passage_hash(passage: Passage, model_name: str) -> str:
    return hashlib.sha256(f"{model_name}\n{passage.index_text}".encode()).hexdigest()[:32]


def corpus_fingerprint(settings: Settings) -> str:
    digest = hashlib.sha256(f"v{SCHEMA_VERSION}|{settings.window_words}|{settings.embedding.resolved_model_path().name}".encode())
    for path in corpus_files(settings.corpus_dir):
        digest.update(str(path.relative_to(settings.corpus_dir)).encode())
        digest.update(path.read_bytes() if path.exists() else b"<missing>")
    return digest.hexdigest()[:32]



class Index:
    """An opened generation: passages, the Chroma collection and the BM25 model."""

    def __init__(self, settings: Settings, pointer: dict, client, collection, bm25, passages: list[Passage]):
        self.settings = settings
        self.pointer = pointer
        self.client = client
        self.collection = collection
        self.bm25 = bm25
        self.passages = passages
        self.by_id = {p.id: p for p in passages}

    @property
    def generation(self) -> str:
        return self.pointer["generation"]


def open_index(settings: Settings | None = None) -> Index:
    """Open the live generation. Raises IndexMissing, IndexCorrupt or ChromaUnavailable."""
    settings = settings or get_settings()
    pointer_file = pointer_path(settings)
    if not pointer_file.exists():
        raise IndexMissing(f"no index at {settings.index_dir} (run `advisor index`)")
    try:
        pointer = json.loads(pointer_file.read_text())
        gen_dir = settings.index_dir / pointer["generation"]
        with open(gen_dir / "passages.jsonl", encoding="utf-8") as fh:
            passages = [Passage.from_dict(json.loads(line)) for line in fh if line.strip()]
        bm25 = bm25s.BM25.load(str(gen_dir / "bm25"), load_corpus=False, mmap=False)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise IndexCorrupt(f"index at {settings.index_dir} is unreadable: {exc.__class__.__name__}: {exc}") from exc
    client = chroma_client(settings)
    try:
        collection = client.get_collection(pointer["collection"])
        count = collection.count()
    except ChromaUnavailable:
        raise
    except Exception as exc:
        if settings.chroma_url and "connect" in str(exc).lower():
            raise ChromaUnavailable(f"Chroma server at {settings.chroma_url} failed: {exc}") from exc
        raise IndexCorrupt(f"Chroma collection {pointer.get('collection')!r} is unreadable: {exc}") from exc
    if count != len(passages):
        raise IndexCorrupt(f"Chroma collection holds {count} vectors but the index lists {len(passages)} passages")
    return Index(settings, pointer, client, collection, bm25, passages)


def backup_corrupt_index(settings: Settings) -> Path | None:
    """Move a broken embedded index aside (index.bak-<time>) so a rebuild starts clean."""
    if not settings.index_dir.exists():
        return None
    stamp = time.strftime("%Y%m%d-%H%M%S")
    backup = settings.index_dir.with_name(f"{settings.index_dir.name}.bak-{stamp}")
    shutil.move(str(settings.index_dir), str(backup))
    settings.index_dir.mkdir(parents=True, exist_ok=True)
    gitkeep = backup / ".gitkeep"
    if gitkeep.exists():
        shutil.copy(gitkeep, settings.index_dir / ".gitkeep")
    return backup


def _clear_chroma_system_cache() -> None:
    """Chroma caches one system per persist path; forget it after moving the directory."""
    try:
        from chromadb.api.shared_system_client import SharedSystemClient

        SharedSystemClient.clear_system_cache()
    except Exception:  # older/newer chromadb without the helper: nothing cached to clear
        pass


def ensure_index(settings: Settings | None = None, notify: Callable[[str], None] = print) -> Index:
    """Open the index, building it first when it is missing and rebuilding (after a backup)
    when it is corrupt. Chroma server errors are not repaired: they are raised."""
    settings = settings or get_settings()
    try:
        return open_index(settings)
    except IndexMissing:
        notify(f"No index found at {settings.index_dir}; building it now.")
    except IndexCorrupt as exc:
        if settings.chroma_url:
            notify(f"Index unusable ({exc}); rebuilding it.")
        else:
            _clear_chroma_system_cache()
            backup = backup_corrupt_index(settings)
            _clear_chroma_system_cache()
            notify(f"Index unusable ({exc}); moved it to {backup} and rebuilding.")
    build_index(settings, notify=notify)
    return open_index(settings)


# ---------------------------------------------------------------- building


def build_index(settings: Settings | None = None, rebuild: bool = False, progress: bool = True,
                notify: Callable[[str], None] = print) -> BuildSummary:
    """Build or refresh the index. Unchanged corpus -> nothing embedded; otherwise a new generation
    that reuses every embedding whose passage text did not change."""
    settings = settings or get_settings()
    started = time.perf_counter()
    settings.index_dir.mkdir(parents=True, exist_ok=True)
    if settings.chroma_url:
        chroma_client(settings)  # fail fast on a dead server, before minutes of embedding
    fingerprint = corpus_fingerprint(settings)
    passages = load_corpus(settings.corpus_dir, settings.window_words)
    previous = _previous_index(settings, notify)
    if previous and not rebuild and previous.pointer.get("fingerprint") == fingerprint:
        return BuildSummary(len(passages), 0, len(passages), 0, time.perf_counter() - started,
                            previous.generation, up_to_date=True)

    model_name = settings.embedding.resolved_model_path().name
    hashes = [passage_hash(p, model_name) for p in passages]
    reusable = _stored_vectors(previous) if previous and not rebuild else {}
    todo = [i for i, h in enumerate(hashes) if h not in reusable]
    fresh = _embed(settings, [passages[i].index_text for i in todo], progress)
    by_position = dict(zip(todo, fresh))
    embeddings = np.asarray([by_position[i] if i in by_position else reusable[hashes[i]]
                             for i in range(len(passages))], dtype=np.float32)

    generation = f"g{time.time_ns()}"
    collection_name = f"{settings.collection_prefix}_{generation}"
    client = previous.client if previous else chroma_client(settings)
    _drop_stale(settings, client, keep={previous.pointer["collection"]} if previous else set())
    _write_collection(client, collection_name, passages, embeddings, hashes, model_name, fingerprint)
    _write_generation(settings.index_dir / generation, passages)
    _flip_pointer(settings, {"generation": generation, "collection": collection_name, "fingerprint": fingerprint,
                             "model": model_name, "passages": len(passages),
                             "built_at": time.strftime("%Y-%m-%dT%H:%M:%S")})
    removed = len({p.id for p in previous.passages} - {p.id for p in passages}) if previous else 0
    _drop_stale(settings, client, keep={collection_name})
    return BuildSummary(len(passages), len(todo), len(passages) - len(todo), removed,
                        time.perf_counter() - started, generation)


def _previous_index(settings: Settings, notify: Callable[[str], None]) -> Index | None:
    try:
        return open_index(settings)
    except IndexMissing:
        return None
    except IndexCorrupt as exc:
        notify(f"Previous index unusable, starting fresh: {exc}")
        return None


def _stored_vectors(index: Index) -> dict[str, list[float]]:
    """Content hash -> stored embedding, so an unchanged passage is never embedded again."""
    stored = index.collection.get(include=["embeddings", "metadatas"])
    return {meta["hash"]: vector for meta, vector in zip(stored["metadatas"], stored["embeddings"])
            if meta and meta.get("hash")}


def _embed(settings: Settings, texts: list[str], progress: bool) -> np.ndarray:
    if not texts:
        return np.zeros((0, 0), dtype=np.float32)
    from .embeddings import get_embedder  # loading torch is the slow part of start-up; only when needed

    return _encode_with_progress(get_embedder(settings), texts, progress)


def _write_collection(client, name: str, passages: list[Passage], embeddings: np.ndarray, hashes: list[str],
                      model_name: str, fingerprint: str) -> None:
    collection = client.create_collection(name, configuration={"hnsw": {"space": "cosine"}},
                                          metadata={"model": model_name, "fingerprint": fingerprint})
    for lo in range(0, len(passages), ADD_BATCH):
        batch = range(lo, min(lo + ADD_BATCH, len(passages)))
        collection.add(ids=[passages[i].id for i in batch], embeddings=[embeddings[i] for i in batch],
                       documents=[passages[i].text for i in batch],
                       metadatas=[_metadata(passages[i], hashes[i]) for i in batch])


def _write_generation(gen_dir: Path, passages: list[Passage]) -> None:
    """passages.jsonl and the BM25 model of one generation."""
    gen_dir.mkdir(parents=True)
    with open(gen_dir / "passages.jsonl", "w", encoding="utf-8") as fh:
        for p in passages:
            fh.write(json.dumps(p.to_dict(), ensure_ascii=False) + "\n")
    bm25 = bm25s.BM25()
    bm25.index(bm25_tokenize([p.index_text for p in passages]), show_progress=False)
    bm25.save(str(gen_dir / "bm25"))


def _flip_pointer(settings: Settings, pointer: dict) -> None:
    """The commit point: readers see the new generation from here on."""
    tmp = pointer_path(settings).with_suffix(".tmp")
    tmp.write_text(json.dumps(pointer, indent=1))
    os.replace(tmp, pointer_path(settings))


def _encode_with_progress(embedder, texts: list[str], progress: bool) -> np.ndarray:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    batch = embedder.batch_size
    parts = []
    with Progress(TextColumn("embedding passages"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  disable=not progress, transient=False) as bar:
        task = bar.add_task("embed", total=len(texts))
        for lo in range(0, len(texts), batch):
            parts.append(embedder.encode(texts[lo : lo + batch]))
            bar.advance(task, len(texts[lo : lo + batch]))
    return np.vstack(parts)


def _metadata(p: Passage, content_hash: str) -> dict:
    return {"doc": p.doc, "kind": p.kind, "section": p.section, "title": p.title[:300],
            "cites": ",".join(map(str, p.cites)), "url": p.url, "file": p.file, "start": p.start,
            "end": p.end, "hash": content_hash}


def _drop_stale(settings: Settings, client, keep: set[str]) -> None:
    """Delete generations that the pointer does not name (left by replaced or killed builds)."""
    live = {name.split("_", 1)[1] for name in keep if "_" in name}
    prefix = f"{settings.collection_prefix}_g"
    for col in client.list_collections():
        name = col if isinstance(col, str) else col.name
        if name.startswith(prefix) and name not in keep:
            try:
                client.delete_collection(name)
            except Exception as exc:  # another process may have removed it already
                log.debug("could not drop %s: %s", name, exc)
    for path in settings.index_dir.glob("g[0-9]*"):
        if path.is_dir() and path.name not in live and not _referenced_by_other_pointer(settings, path.name):
            shutil.rmtree(path, ignore_errors=True)


def _referenced_by_other_pointer(settings: Settings, generation: str) -> bool:
    for pointer in settings.index_dir.glob("current*.json"):
        if pointer == pointer_path(settings):
            continue
        try:
            if json.loads(pointer.read_text()).get("generation") == generation:
                return True
        except (OSError, ValueError):
            continue
    return False


def generation_dir(settings: Settings) -> Path | None:
    """The live generation's folder when it was built from the corpus as it is now (derived caches such
    as the audit's live there); None when there is no such index."""
    try:
        pointer = json.loads(pointer_path(settings).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(pointer, dict) or pointer.get("fingerprint") != corpus_fingerprint(settings):
        return None
    gen_dir = Path(settings.index_dir) / str(pointer.get("generation", ""))
    return gen_dir if pointer.get("generation") and gen_dir.is_dir() else None
