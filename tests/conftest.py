"""Shared fixtures. The real index is built once per session under a temporary folder (never in the
repository); tests that damage an index work on a copy in tmp_path.

Tiers: tests marked `slow` need the real models, an index, servers or the browser; the rest are pure unit
tests (`make test-fast` runs those alone). A test that uses one of the model fixtures below is marked slow
automatically, so the fast tier can never load a model by accident.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from advisor.core.settings import PROJECT_ROOT, Settings  # noqa: E402
from advisor.core.types import Passage, PassageKind  # noqa: E402

ROOT = PROJECT_ROOT
DATA = ROOT / "benchmarks" / "data"
MODEL_FIXTURES = {"settings", "retriever", "embedder", "index_copy", "model", "chat_engine", "plain_engine"}


def pytest_collection_modifyitems(items):
    for item in items:
        if MODEL_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def settings(tmp_path_factory) -> Settings:
    """Settings over the repository's corpus with a freshly built index in a session temp folder."""
    from advisor.index import build_index

    root = tmp_path_factory.mktemp("advisor")
    s = Settings(index_dir=root / "index", chroma_url=None)
    s = s.with_group("embedding", encoder_dir=root / "encoder")
    build_index(s, progress=False, notify=lambda m: None)
    return s


@pytest.fixture(scope="session")
def retriever(settings):
    from advisor.retrieval import get_retriever

    return get_retriever(settings, notify=lambda m: None)


@pytest.fixture(scope="session")
def embedder(settings):
    from advisor.index.embeddings import get_embedder

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


def make_passage(pid: str, text: str, **kw) -> Passage:
    """A passage of the paper for a pure test; keywords override its defaults (a Table 1 row of Section 6)."""
    defaults = dict(
        doc="paper",
        title="The AI Roles Continuum",
        section="6",
        section_title="Demand",
        kind=PassageKind.TABLE_ROW,
        cites=(),
        url="",
        file="paper.md",
        start=0,
        end=len(text),
    )
    return Passage(id=pid, text=text, **{**defaults, **kw})
