"""Index lifecycle: build (incremental, atomic), open, and recover.

Layout of index/ (embedded Chroma) — the Chroma server variant keeps collections on the server:

    index/chroma/              Chroma PersistentClient (one collection per generation)
    index/g<stamp>/            passages.jsonl, vectors.npz (content hash -> embedding) + bm25/ for that generation
    index/current.json         pointer to the live generation; replaced atomically (os.replace)
    index/.build.lock          held (flock) by the one build or repair running on this folder

A build writes a whole new generation beside the live one and flips the pointer last, so a
build killed half-way leaves the previous generation answering; the next `advisor index` sweeps what
it left (generation folders and collections the pointer does not name). Embeddings are reused by
content hash, so an unchanged passage is never embedded twice: from the live generation, or, after a
damaged store was moved aside, from the vectors.npz files of the backup.

Faults: a damaged store (pointer, passages, BM25, the Chroma SQLite file or its collection) is detected
where it is opened (IndexCorrupt), moved aside to index.bak-<time>/ and rebuilt; a rebuild works whatever
state the old store is in. A read-only index that is current is served read-only; one that needs a build
raises IndexReadOnly naming the folder and ADVISOR_INDEX_DIR. Notices and the progress bar go to stderr.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import shutil
import sys
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import bm25s
import numpy as np

from ..core.settings import Settings, get_settings
from ..core.types import Passage
from ..corpus import corpus_files, load_corpus
from .bm25 import bm25_tokenize
from .chroma import (
    chroma_client,
    chroma_dir,
    forget_chroma_system,
    is_network_error,
    pointer_path,
    unavailable,
    writable,
)
from .errors import IndexCorrupt, IndexMissing, IndexReadOnly

log = logging.getLogger(__name__)

SCHEMA_VERSION = 7  # bump when passage parsing or the stored layout changes
ADD_BATCH = 256
VECTORS_FILE = "vectors.npz"
LOCK_FILE = ".build.lock"


def notice(message: str) -> None:
    """Where index notices go by default: stderr, so they never mix with a command's (JSON) output."""
    print(message, file=sys.stderr, flush=True)


def _notifier(notify: Callable[[str], None] | None) -> Callable[[str], None]:
    # Progress and notices go to stderr, always: callers that pass the print builtin get stderr too.
    return notice if notify is None or notify is print else notify


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
        return (
            f"{state}: {self.passages} passages, {self.embedded} embedded, {self.reused} reused, "
            f"{self.removed} removed, {self.seconds:.1f} s"
        )


def passage_hash(passage: Passage, model_name: str) -> str:
    return hashlib.sha256(f"{model_name}\n{passage.index_text}".encode()).hexdigest()[:32]


def corpus_fingerprint(settings: Settings) -> str:
    digest = hashlib.sha256(
        f"v{SCHEMA_VERSION}|{settings.window_words}|{settings.embedding.resolved_model_path().name}".encode()
    )
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


class _ServerCollection:
    """A collection on a Chroma server whose transport errors (timeouts, resets) become
    ChromaUnavailable with a message that says what to check."""

    def __init__(self, collection, settings: Settings):
        self._collection = collection
        self._settings = settings

    def __getattr__(self, name):
        attr = getattr(self._collection, name)
        if not callable(attr):
            return attr

        def call(*args, **kwargs):
            try:
                return attr(*args, **kwargs)
            except Exception as exc:
                if is_network_error(exc):
                    raise unavailable(self._settings, exc) from exc
                raise

        return call


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
    except Exception as exc:  # whatever a damaged file makes json, bm25s or numpy raise
        raise IndexCorrupt(f"index at {settings.index_dir} is unreadable: {exc.__class__.__name__}: {exc}") from exc
    client = chroma_client(settings)  # IndexCorrupt for a damaged embedded store, ChromaUnavailable for a server
    try:
        collection = client.get_collection(pointer["collection"])
        count = collection.count()
        if count == len(passages) and passages:
            # One stored vector and one nearest-neighbour query: reads the SQLite rows and the HNSW segment,
            # so damage there shows here, where the store is opened, not on a user's first question.
            probe = collection.get(ids=[passages[0].id], include=["embeddings"])
            if len(probe["ids"]) != 1:
                raise ValueError(f"passage {passages[0].id} is not in the collection")
            collection.query(query_embeddings=[probe["embeddings"][0]], n_results=1, include=[])
    except Exception as exc:
        if settings.chroma_url and (is_network_error(exc) or "connect" in str(exc).lower()):
            raise unavailable(settings, exc) from exc
        raise IndexCorrupt(f"Chroma collection {pointer.get('collection')!r} is unreadable: {exc}") from exc
    if count != len(passages):
        raise IndexCorrupt(f"Chroma collection holds {count} vectors but the index lists {len(passages)} passages")
    if settings.chroma_url:
        collection = _ServerCollection(collection, settings)
    return Index(settings, pointer, client, collection, bm25, passages)


def backup_corrupt_index(settings: Settings) -> Path | None:
    """Move a broken embedded index aside (index.bak-<time>) so a rebuild starts clean. The ONNX query
    encoder (index/encoder by default) is not part of the index and stays; so does the build lock."""
    index_dir = Path(settings.index_dir)
    if not index_dir.exists():
        return None
    stamp = time.strftime("%Y%m%d-%H%M%S")
    backup = index_dir.with_name(f"{index_dir.name}.bak-{stamp}")
    n = 1
    while backup.exists():
        n += 1
        backup = index_dir.with_name(f"{index_dir.name}.bak-{stamp}-{n}")
    forget_chroma_system(chroma_dir(settings))
    backup.mkdir(parents=True)
    encoder = Path(settings.embedding.encoder_dir).resolve()
    for child in list(index_dir.iterdir()):
        if child.name in (LOCK_FILE, ".gitkeep") or child.resolve() == encoder or child.resolve() in encoder.parents:
            if child.name == ".gitkeep":
                shutil.copy(child, backup / child.name)
            continue
        shutil.move(str(child), str(backup / child.name))
    forget_chroma_system(chroma_dir(settings))
    return backup


def _read_only_message(settings: Settings, why: str) -> str:
    return (
        f"the index folder {settings.index_dir} is read-only and {why}, so it cannot be (re)built there. "
        f"Make the folder writable, or set ADVISOR_INDEX_DIR to a writable folder (the index is built there)."
    )


def ensure_index(settings: Settings | None = None, notify: Callable[[str], None] | None = None) -> Index:
    """Open the index, building it first when it is missing and rebuilding (after a backup)
    when it is corrupt. Chroma server errors are not repaired: they are raised. A read-only index
    that is current is opened read-only; one that needs a build raises IndexReadOnly."""
    settings = settings or get_settings()
    notify = _notifier(notify)
    try:
        return open_index(settings)
    except (IndexMissing, IndexCorrupt) as exc:
        problem = exc
    if not writable(Path(settings.index_dir)):
        why = "holds no index" if isinstance(problem, IndexMissing) else f"its index is unusable ({problem})"
        raise IndexReadOnly(_read_only_message(settings, why)) from problem
    with build_lock(settings, notify):
        try:  # another process may have repaired it while we waited for the lock
            return open_index(settings)
        except (IndexMissing, IndexCorrupt) as exc:
            problem = exc
        salvage: dict[str, np.ndarray] = {}
        if isinstance(problem, IndexMissing):
            notify(f"No index found at {settings.index_dir}; building it now.")
        elif settings.chroma_url:
            notify(f"Index unusable ({problem}); rebuilding it.")
        else:
            backup = backup_corrupt_index(settings)
            salvage = salvaged_vectors(backup)
            notify(f"Index unusable ({problem}); moved it to {backup} and rebuilding.")
        _build_locked(settings, rebuild=False, progress=True, notify=notify, salvage=salvage)
    return open_index(settings)


# ---------------------------------------------------------------- building


def build_index(
    settings: Settings | None = None,
    rebuild: bool = False,
    progress: bool = True,
    notify: Callable[[str], None] | None = None,
) -> BuildSummary:
    """Build or refresh the index. Unchanged corpus -> nothing embedded (orphans of killed builds are
    still swept); otherwise a new generation that reuses every embedding whose passage text did not change.
    With rebuild=True everything is embedded afresh, whatever state the old store is in."""
    settings = settings or get_settings()
    notify = _notifier(notify)
    started = time.perf_counter()
    try:
        settings.index_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise IndexReadOnly(_read_only_message(settings, f"cannot be created ({exc.strerror})")) from exc
    if not writable(Path(settings.index_dir)):
        previous = None if rebuild else _previous_index(settings, notify)
        if previous and previous.pointer.get("fingerprint") == corpus_fingerprint(settings):
            n = len(previous.passages)
            return BuildSummary(n, 0, n, 0, time.perf_counter() - started, previous.generation, up_to_date=True)
        raise IndexReadOnly(_read_only_message(settings, "needs a build" if not rebuild else "--rebuild was asked"))
    with build_lock(settings, notify):
        return _build_locked(settings, rebuild=rebuild, progress=progress, notify=notify, started=started)


_LOCAL = threading.local()


@contextlib.contextmanager
def build_lock(settings: Settings, notify: Callable[[str], None] = notice) -> Iterator[None]:
    """One build or repair at a time per index folder (an flock on index/.build.lock; re-entrant within a
    thread). Sweeping orphaned generations is only safe while no other build is writing one."""
    held: set[str] = _LOCAL.__dict__.setdefault("held", set())
    key = str(Path(settings.index_dir).resolve())
    if key in held:
        yield
        return
    with _PROCESS_LOCK, open(Path(settings.index_dir) / LOCK_FILE, "a+b") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            notify(f"Another build of {settings.index_dir} is running; waiting for it to finish.")
            fcntl.flock(fh, fcntl.LOCK_EX)
        held.add(key)
        try:
            yield
        finally:
            held.discard(key)
            fcntl.flock(fh, fcntl.LOCK_UN)


_PROCESS_LOCK = threading.RLock()  # flock does not exclude threads sharing a process from each other


def _build_locked(
    settings: Settings,
    *,
    rebuild: bool,
    progress: bool,
    notify: Callable[[str], None],
    salvage: dict | None = None,
    started: float | None = None,
) -> BuildSummary:
    started = time.perf_counter() if started is None else started
    salvage = {} if salvage is None else salvage  # _fresh_client adds what it salvages from a damaged store
    if settings.chroma_url:
        chroma_client(settings)  # fail fast on a dead server, before minutes of embedding
    fingerprint = corpus_fingerprint(settings)
    passages = load_corpus(settings.corpus_dir, settings.window_words)
    previous = _previous_index(settings, notify)
    if previous and not rebuild and previous.pointer.get("fingerprint") == fingerprint:
        _drop_stale(settings, previous.client, keep={previous.pointer["collection"]})  # a killed build's leftovers
        return BuildSummary(
            len(passages), 0, len(passages), 0, time.perf_counter() - started, previous.generation, up_to_date=True
        )

    client = previous.client if previous else _fresh_client(settings, notify, salvage)
    model_name = settings.embedding.resolved_model_path().name
    hashes = [passage_hash(p, model_name) for p in passages]
    reusable: dict = {}
    if not rebuild:
        reusable.update(salvage)
        if previous:
            reusable.update(_stored_vectors(previous))
    todo = [i for i, h in enumerate(hashes) if h not in reusable]
    fresh = _embed(settings, [passages[i].index_text for i in todo], progress)
    by_position = dict(zip(todo, fresh))
    embeddings = np.asarray(
        [by_position[i] if i in by_position else reusable[hashes[i]] for i in range(len(passages))], dtype=np.float32
    )

    generation = f"g{time.time_ns()}"
    collection_name = f"{settings.collection_prefix}_{generation}"
    _drop_stale(settings, client, keep={previous.pointer["collection"]} if previous else set())
    try:
        _write_collection(client, collection_name, passages, embeddings, hashes, model_name, fingerprint)
    except Exception as exc:
        if settings.chroma_url and is_network_error(exc):
            raise unavailable(settings, exc) from exc
        raise
    _write_generation(settings.index_dir / generation, passages, embeddings, hashes)
    _flip_pointer(
        settings,
        {
            "generation": generation,
            "collection": collection_name,
            "fingerprint": fingerprint,
            "model": model_name,
            "passages": len(passages),
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
        },
    )
    removed = len({p.id for p in previous.passages} - {p.id for p in passages}) if previous else 0
    _drop_stale(settings, client, keep={collection_name})
    return BuildSummary(
        len(passages), len(todo), len(passages) - len(todo), removed, time.perf_counter() - started, generation
    )


def _fresh_client(settings: Settings, notify: Callable[[str], None], salvage: dict):
    """A client for a build with no usable previous index. An embedded store too damaged to open is moved
    aside first (its vectors salvaged into `salvage`), so a rebuild never fails on the old store's state."""
    try:
        return chroma_client(settings)
    except IndexCorrupt as exc:
        if settings.chroma_url:
            raise
        backup = backup_corrupt_index(settings)
        salvage.update(salvaged_vectors(backup))
        notify(f"Index store unusable ({exc}); moved it to {backup} and building afresh.")
        return chroma_client(settings)


def _previous_index(settings: Settings, notify: Callable[[str], None]) -> Index | None:
    try:
        return open_index(settings)
    except IndexMissing:
        return None
    except IndexCorrupt as exc:
        notify(f"Previous index unusable, starting fresh: {exc}")
        return None


def _load_vectors(path: Path) -> dict[str, np.ndarray]:
    """content hash -> vector from one generation's vectors.npz; {} when it is missing or damaged (the
    zip's CRCs catch flipped bytes; vectors that are not finite unit vectors are not trusted)."""
    try:
        with np.load(path, allow_pickle=False) as data:
            hashes, vectors = data["hashes"], data["vectors"]
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return {}
    if vectors.ndim != 2 or len(hashes) != len(vectors) or not np.isfinite(vectors).all():
        return {}
    norms = np.linalg.norm(vectors, axis=1)
    return {str(h): v for h, v, n in zip(hashes, vectors, norms) if abs(n - 1.0) < 1e-3}


def salvaged_vectors(folder: Path | None) -> dict[str, np.ndarray]:
    """Every trustworthy stored vector of the generations under folder (e.g. a backup of a damaged index)."""
    found: dict[str, np.ndarray] = {}
    if folder is None:
        return found
    for path in sorted(Path(folder).glob(f"g[0-9]*/{VECTORS_FILE}")):
        found.update(_load_vectors(path))
    return found


def _stored_vectors(index: Index) -> dict[str, list[float]]:
    """Content hash -> stored embedding, so an unchanged passage is never embedded again: from the
    generation's vectors.npz, else from the collection (generations built before vectors.npz)."""
    saved = _load_vectors(index.settings.index_dir / index.generation / VECTORS_FILE)
    if saved:
        return saved
    stored = index.collection.get(include=["embeddings", "metadatas"])
    return {
        meta["hash"]: vector
        for meta, vector in zip(stored["metadatas"], stored["embeddings"])
        if meta and meta.get("hash")
    }


def _embed(settings: Settings, texts: list[str], progress: bool) -> np.ndarray:
    if not texts:
        return np.zeros((0, 0), dtype=np.float32)
    from .embeddings import get_embedder  # loading torch is the slow part of start-up; only when needed

    return _encode_with_progress(get_embedder(settings), texts, progress)


def _write_collection(
    client,
    name: str,
    passages: list[Passage],
    embeddings: np.ndarray,
    hashes: list[str],
    model_name: str,
    fingerprint: str,
) -> None:
    collection = client.create_collection(
        name, configuration={"hnsw": {"space": "cosine"}}, metadata={"model": model_name, "fingerprint": fingerprint}
    )
    for lo in range(0, len(passages), ADD_BATCH):
        batch = range(lo, min(lo + ADD_BATCH, len(passages)))
        collection.add(
            ids=[passages[i].id for i in batch],
            embeddings=[embeddings[i] for i in batch],
            documents=[passages[i].text for i in batch],
            metadatas=[_metadata(passages[i], hashes[i]) for i in batch],
        )


def _write_generation(gen_dir: Path, passages: list[Passage], embeddings: np.ndarray, hashes: list[str]) -> None:
    """passages.jsonl, vectors.npz and the BM25 model of one generation."""
    gen_dir.mkdir(parents=True)
    with open(gen_dir / "passages.jsonl", "w", encoding="utf-8") as fh:
        for p in passages:
            fh.write(json.dumps(p.to_dict(), ensure_ascii=False) + "\n")
    np.savez(gen_dir / VECTORS_FILE, hashes=np.asarray(hashes), vectors=np.asarray(embeddings, dtype=np.float32))
    bm25 = bm25s.BM25()
    bm25.index(bm25_tokenize([p.index_text for p in passages]), show_progress=False)
    bm25.save(str(gen_dir / "bm25"))


def _flip_pointer(settings: Settings, pointer: dict) -> None:
    """The commit point: readers see the new generation from here on."""
    tmp = pointer_path(settings).with_suffix(".tmp")
    tmp.write_text(json.dumps(pointer, indent=1))
    os.replace(tmp, pointer_path(settings))


def _encode_with_progress(embedder, texts: list[str], progress: bool) -> np.ndarray:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    batch = embedder.batch_size
    parts = []
    # On stderr: the bar is a notice, never part of a command's output (`advisor ask --json` after a rebuild).
    with Progress(
        TextColumn("embedding passages"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        disable=not progress,
        transient=False,
    ) as bar:
        task = bar.add_task("embed", total=len(texts))
        for lo in range(0, len(texts), batch):
            parts.append(embedder.encode(texts[lo : lo + batch]))
            bar.advance(task, len(texts[lo : lo + batch]))
    return np.vstack(parts)


def _metadata(p: Passage, content_hash: str) -> dict:
    return {
        "doc": p.doc,
        "kind": p.kind,
        "section": p.section,
        "title": p.title[:300],
        "cites": ",".join(map(str, p.cites)),
        "url": p.url,
        "file": p.file,
        "start": p.start,
        "end": p.end,
        "hash": content_hash,
    }


def _drop_stale(settings: Settings, client, keep: set[str]) -> None:
    """Delete generations that the pointer does not name (left by replaced or killed builds). Called with
    the build lock held, so no other build is writing the generation it would delete."""
    live = {name.split("_", 1)[1] for name in keep if "_" in name}
    prefix = f"{settings.collection_prefix}_g"
    try:
        collections = client.list_collections()
    except Exception as exc:
        if settings.chroma_url and is_network_error(exc):
            raise unavailable(settings, exc) from exc
        raise
    for col in collections:
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
