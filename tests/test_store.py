"""Index lifecycle with the real MiniLM and a real Chroma: incremental, atomic, recoverable, server mode."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from advisor.index import ChromaUnavailable, IndexCorrupt, build_index, ensure_index, open_index
from advisor.retrieval import Retriever

ADVISOR = [sys.executable, "-m", "advisor"]


def env_for(s, **extra) -> dict:
    env = dict(
        os.environ,
        ADVISOR_INDEX_DIR=str(s.index_dir),
        ADVISOR_CORPUS_DIR=str(s.corpus_dir),
        ADVISOR_EMBED_ENCODER_DIR=str(s.embedding.encoder_dir),
        **extra,
    )
    env.pop("ADVISOR_CHROMA_URL", None)
    env.update(extra)
    return env


def test_unchanged_corpus_embeds_nothing(index_copy):
    summary = build_index(index_copy, progress=False, notify=lambda m: None)
    assert summary.up_to_date and summary.embedded == 0 and summary.reused == summary.passages


def test_changing_one_source_reembeds_only_its_passages(index_copy, corpus_copy):
    s = index_copy.model_copy(update={"corpus_dir": corpus_copy})
    before = open_index(s)
    source = corpus_copy / "sources" / "10-zero.md"
    text = source.read_text(encoding="utf-8")
    source.write_text(
        text.replace(
            "## Abstract\n\n",
            "## Abstract\n\nZeRO partitions optimizer states across "
            "data-parallel processes to remove memory redundancy.\n\n",
        ),
        encoding="utf-8",
    )
    summary = build_index(s, progress=False, notify=lambda m: None)
    after = open_index(s)
    changed = {p.id for p in after.passages if p.doc == "ref-10"}
    assert summary.embedded >= 1 and summary.embedded <= len(changed) + 1
    assert summary.reused == summary.passages - summary.embedded
    assert after.generation != before.generation
    hits = Retriever(after, s).search("ZeRO partitions optimizer states to remove memory redundancy", 3)
    assert hits[0].passage.doc == "ref-10"


def test_removed_passages_disappear(index_copy, corpus_copy):
    s = index_copy.model_copy(update={"corpus_dir": corpus_copy})
    data = json.loads((corpus_copy / "references.json").read_text())
    target = next(r for r in data if r["id"] == 31)
    (corpus_copy / target["source_file"]).unlink()
    target["source_file"] = None
    (corpus_copy / "references.json").write_text(json.dumps(data, indent=1))
    summary = build_index(s, progress=False, notify=lambda m: None)
    index = open_index(s)
    assert summary.removed > 0
    assert [p.kind for p in index.passages if p.doc == "ref-31"] == ["reference"]
    assert index.collection.count() == len(index.passages)


def test_killed_build_leaves_previous_index_answering(index_copy):
    before = open_index(index_copy).generation
    proc = subprocess.Popen(
        ADVISOR + ["index", "--rebuild", "--quiet"],
        env=env_for(index_copy),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    time.sleep(6)  # model loaded, embedding under way
    assert proc.poll() is None, "the build finished before it could be interrupted"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    index = open_index(index_copy)
    assert index.generation == before
    hits = Retriever(index, index_copy).search("Member of Technical Staff", 3)
    assert any("Member of Technical Staff" in h.passage.text for h in hits)
    # and the next build cleans up after the killed one
    summary = build_index(index_copy, progress=False, notify=lambda m: None)
    assert summary.up_to_date
    generations = [p.name for p in index_copy.index_dir.glob("g[0-9]*")]
    assert generations == [before]


def test_deleted_index_is_rebuilt_with_a_message(index_copy):
    import shutil

    shutil.rmtree(index_copy.index_dir)
    messages: list[str] = []
    index = ensure_index(index_copy, notify=messages.append)
    assert any("No index found" in m for m in messages)
    assert index.collection.count() == len(index.passages) > 300


def test_corrupt_index_is_backed_up_and_rebuilt(index_copy):
    pointer = index_copy.index_dir / "current.json"
    generation = json.loads(pointer.read_text())["generation"]
    (index_copy.index_dir / generation / "passages.jsonl").write_text("{not json\n")
    with pytest.raises(IndexCorrupt):
        open_index(index_copy)
    messages: list[str] = []
    index = ensure_index(index_copy, notify=messages.append)
    assert any("moved it to" in m for m in messages)
    backups = list(index_copy.index_dir.parent.glob("index.bak-*"))
    assert backups and (backups[0] / generation / "passages.jsonl").read_text() == "{not json\n"
    assert Retriever(index, index_copy).search("research engineers", 3)


def test_unreachable_chroma_server_fails_fast(settings):
    s = settings.model_copy(update={"chroma_url": "http://127.0.0.1:9"})  # nothing listens on port 9
    started = time.perf_counter()
    with pytest.raises(ChromaUnavailable, match="unreachable"):
        ensure_index(s, notify=lambda m: None)
    assert time.perf_counter() - started < 5


def test_cli_reports_unreachable_chroma_with_nonzero_exit(settings, tmp_path):
    env = env_for(settings, ADVISOR_CHROMA_URL="http://127.0.0.1:9")
    started = time.perf_counter()
    result = subprocess.run(
        ADVISOR + ["search", "research engineers", "--json"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "unreachable" in result.stderr
    assert time.perf_counter() - started < 30  # includes interpreter and library start-up


@pytest.fixture()
def chroma_server(tmp_path):
    from .test_answer import free_port

    port = free_port()
    chroma = Path(sys.executable).parent / "chroma"
    proc = subprocess.Popen(
        [str(chroma), "run", "--path", str(tmp_path / "chroma-server"), "--host", "127.0.0.1", "--port", str(port)],
        env=dict(os.environ, RUST_LOG="warn"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    import httpx

    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("chroma run did not start within 30 s")
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=10)


def test_index_and_search_through_a_chroma_server(settings, tmp_path, chroma_server):
    env = env_for(settings.model_copy(update={"index_dir": tmp_path / "local"}), ADVISOR_CHROMA_URL=chroma_server)
    built = subprocess.run(ADVISOR + ["index", "--quiet"], env=env, capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    assert "passages" in built.stdout
    found = subprocess.run(
        ADVISOR + ["search", "Member of Technical Staff", "-k", "3", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert found.returncode == 0, found.stderr
    results = json.loads(found.stdout)
    assert any("Member of Technical Staff" in r["text"] for r in results)
    import chromadb

    client = chromadb.HttpClient(host="127.0.0.1", port=int(chroma_server.rsplit(":", 1)[1]))
    names = [c if isinstance(c, str) else c.name for c in client.list_collections()]
    assert any(n.startswith("passages_g") for n in names)
    assert not (tmp_path / "local" / "chroma").exists(), "server mode keeps vectors on the server"


def test_stored_arrays_are_recomputed_when_their_key_changes_and_the_code_fingerprint_follows_the_source(
    tmp_path, monkeypatch
):
    from advisor.core import stored

    calls = []

    def compute(value: int):
        def run():
            calls.append(value)
            return {"x": np.array([value])}

        return run

    path = tmp_path / "rows.npz"
    assert stored.stored_arrays(path, "k1", compute(1))["x"][0] == 1
    assert stored.stored_arrays(path, "k1", compute(2))["x"][0] == 1  # read back: same key
    assert stored.stored_arrays(path, "k2", compute(3))["x"][0] == 3  # a new key recomputes
    assert calls == [1, 3]
    # the fingerprint the answerability rows are keyed on changes with any source file of the package
    package = tmp_path / "advisor"
    (package / "core").mkdir(parents=True)
    (package / "core" / "stored.py").write_text("x = 1\n")
    monkeypatch.setattr(stored, "__file__", str(package / "core" / "stored.py"))
    stored.code_fingerprint.cache_clear()
    before = stored.code_fingerprint()
    (package / "agent.py").write_text("y = 2\n")
    stored.code_fingerprint.cache_clear()
    assert stored.code_fingerprint() != before
    stored.code_fingerprint.cache_clear()
