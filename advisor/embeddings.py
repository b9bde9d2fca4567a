"""The bundled all-MiniLM-L6-v2 sentence encoder, loaded once per process, offline."""

from __future__ import annotations

import threading
from functools import lru_cache
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from .settings import Settings, get_settings

MODEL_NAME = "all-MiniLM-L6-v2"
_lock = threading.Lock()


class MiniLMEmbeddings(Embeddings):
    """LangChain Embeddings over sentence-transformers; vectors are L2-normalised."""

    def __init__(self, model_path: Path, batch_size: int = 64, threads: int = 2):
        import torch
        import transformers
        from sentence_transformers import SentenceTransformer

        transformers.utils.logging.disable_progress_bar()  # no "Loading weights" bar on every start

        torch.set_num_threads(threads)
        self.model_path = Path(model_path)
        self.batch_size = batch_size
        self.threads = threads
        self.model = SentenceTransformer(str(self.model_path), device="cpu", local_files_only=True)

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        import torch

        with _lock:  # torch inference is not re-entrant across threads on one model
            # A query or two is too small to split across cores: one thread avoids the fork/join cost
            # (and collapses far less when the other core is busy). Batches use every thread.
            torch.set_num_threads(1 if len(texts) <= 4 else self.threads)
            vectors = self.model.encode(
                texts, batch_size=self.batch_size, normalize_embeddings=True,
                convert_to_numpy=True, show_progress_bar=progress,
            )
        return vectors.astype(np.float32)

    @property
    def dimension(self) -> int:
        return int(self.model.get_sentence_embedding_dimension())

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.encode([text])[0].tolist()


@lru_cache(maxsize=2)
def _load(model_path: str, batch_size: int, threads: int) -> MiniLMEmbeddings:
    return MiniLMEmbeddings(Path(model_path), batch_size, threads)


def get_embedder(settings: Settings | None = None) -> MiniLMEmbeddings:
    settings = settings or get_settings()
    return _load(str(settings.model_path()), settings.embed_batch_size, settings.torch_threads)
