"""Shared fixtures. The real index is built once per session (under index/, as `make run` does);
tests that damage an index work on a copy in tmp_path."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from advisor.settings import PROJECT_ROOT, Settings  # noqa: E402

ROOT = PROJECT_ROOT
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def settings() -> Settings:
    """Settings over the repository's corpus and index/, with the index built and current."""
    from advisor.store import build_index

    s = Settings(index_dir=ROOT / "index", chroma_url=None)
    build_index(s, progress=False, notify=lambda m: None)
    return s


@pytest.fixture(scope="session")
def retriever(settings):
    from advisor.retrieve import get_retriever

    return get_retriever(settings, notify=lambda m: None)


@pytest.fixture(scope="session")
def embedder(settings):
    from advisor.embeddings import get_embedder

    return get_embedder(settings)


@pytest.fixture()
def index_copy(settings, tmp_path) -> Settings:
    """A private copy of the built index (no re-embedding) for tests that break or rebuild it."""
    dst = tmp_path / "index"
    shutil.copytree(settings.index_dir, dst)
    return settings.model_copy(update={"index_dir": dst})


@pytest.fixture()
def corpus_copy(tmp_path) -> Path:
    dst = tmp_path / "corpus"
    shutil.copytree(ROOT / "corpus", dst)
    return dst
