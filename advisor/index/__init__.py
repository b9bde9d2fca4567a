"""Stage 2: passages -> embeddings (MiniLM), a Chroma collection and a BM25 model per generation.

The public API is this module: build, open or repair an index, find the live generation's folder.
"""

from .bm25 import bm25_tokenize
from .chroma import chroma_client, pointer_path
from .errors import ChromaUnavailable, IndexCorrupt, IndexMissing, IndexReadOnly, StoreError
from .store import (
    BuildSummary,
    Index,
    backup_corrupt_index,
    build_index,
    corpus_fingerprint,
    ensure_index,
    generation_dir,
    open_index,
)

__all__ = [
    "BuildSummary",
    "ChromaUnavailable",
    "Index",
    "IndexCorrupt",
    "IndexMissing",
    "IndexReadOnly",
    "StoreError",
    "backup_corrupt_index",
    "bm25_tokenize",
    "build_index",
    "chroma_client",
    "corpus_fingerprint",
    "ensure_index",
    "generation_dir",
    "open_index",
    "pointer_path",
]
