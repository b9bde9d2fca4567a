"""Faults that used to crash or hang (issue 15): a damaged or read-only store, a silent Chroma server, bad
bytes in batch files, arguments and HTTP, start-up bursts, uploads left on disk, progress on stdout, and
generations orphaned by a killed build. Each test reproduces the fault as a person would meet it."""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from advisor.core.jsonl import iter_jsonl
from advisor.core.text import InputError, prepare_input
from advisor.index import IndexCorrupt, build_index, chroma_client, ensure_index, open_index, pointer_path
from advisor.retrieval import Retriever

from .test_store import ADVISOR, env_for

CHROMA_SQLITE = "chroma/chroma.sqlite3"


def run_advisor(args: list, env: dict, timeout: float = 240, preexec_fn=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        ADVISOR + args, env=env, capture_output=True, timeout=timeout, preexec_fn=preexec_fn, cwd=Path(__file__).parent
    )


def damage(path: Path, offset: int, size: int = 4096) -> None:
    with open(path, "r+b") as fh:
        fh.seek(offset)
        fh.write(np.random.default_rng(15).integers(0, 256, size, dtype=np.uint8).tobytes())


# ---------------------------------------------------------------- 1. a damaged or read-only store


def test_random_bytes_in_the_chroma_header_are_moved_aside_and_rebuilt_by_any_command(index_copy):
    damage(index_copy.index_dir / CHROMA_SQLITE, 0)
    result = run_advisor(["search", "Member of Technical Staff", "-k", "3", "--json"], env_for(index_copy))
    stderr = result.stderr.decode()
    assert result.returncode == 0, stderr[-2000:]
    assert "Traceback" not in stderr and "moved it to" in stderr
    hits = json.loads(result.stdout)
    assert any("Member of Technical Staff" in h["text"] for h in hits)
    backups = list(index_copy.index_dir.parent.glob("index.bak-*"))
    assert len(backups) == 1 and (backups[0] / CHROMA_SQLITE).read_bytes()[:16] != b"SQLite format 3\x00"
    assert open_index(index_copy).collection.count() == len(open_index(index_copy).passages)


def test_random_bytes_in_the_middle_of_the_store_are_found_where_it_is_opened(index_copy):
    db = index_copy.index_dir / CHROMA_SQLITE
    with sqlite3.connect(db) as connection:
        pages = connection.execute("PRAGMA page_count").fetchone()[0]
        page_size = connection.execute("PRAGMA page_size").fetchone()[0]
    damage(db, page_size * (pages // 2), page_size * 4)
    with pytest.raises(IndexCorrupt, match="damaged|unreadable|cannot be opened"):
        open_index(index_copy)
    messages: list[str] = []
    index = ensure_index(index_copy, notify=messages.append)
    assert any("moved it to" in m for m in messages)
    assert Retriever(index, index_copy).search("research engineers", 3)


def test_rebuild_works_whatever_state_the_old_store_is_in(index_copy):
    damage(index_copy.index_dir / CHROMA_SQLITE, 0)
    messages: list[str] = []
    summary = build_index(index_copy, rebuild=True, progress=False, notify=messages.append)
    assert summary.embedded == summary.passages > 300
    assert any("moved it to" in m for m in messages)
    index = open_index(index_copy)
    assert index.collection.count() == len(index.passages)


def _drop_file_override_capabilities() -> None:
    """Runs in the child before exec: without CAP_DAC_OVERRIDE/READ_SEARCH/FOWNER even root obeys the mode
    bits, so a chmod'ed folder is as read-only as a read-only disk (no-op when not root)."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2, 3):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER
        libc.prctl(24, capability, 0, 0, 0)  # PR_CAPBSET_DROP


def make_read_only(folder: Path) -> None:
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o555 if path.is_dir() else 0o444)
    probe = subprocess.run(
        [sys.executable, "-c", f"open({str(folder / 'probe')!r}, 'w')"],
        preexec_fn=_drop_file_override_capabilities,
        capture_output=True,
    )
    assert probe.returncode != 0, "could not make the index folder read-only for the child process"


def snapshot(folder: Path) -> dict:
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*")}


def test_read_only_index_that_is_current_is_served_read_only(index_copy):
    make_read_only(index_copy.index_dir)
    before = snapshot(index_copy.index_dir)
    try:
        result = run_advisor(
            ["search", "Member of Technical Staff", "-k", "3", "--json"],
            env_for(index_copy),
            preexec_fn=_drop_file_override_capabilities,
        )
        assert result.returncode == 0, result.stderr.decode()[-2000:]
        assert any("Member of Technical Staff" in h["text"] for h in json.loads(result.stdout))
        built = run_advisor(["index", "--quiet"], env_for(index_copy), preexec_fn=_drop_file_override_capabilities)
        assert built.returncode == 0 and b"up to date" in built.stdout, built.stderr.decode()[-2000:]
        assert snapshot(index_copy.index_dir) == before, "nothing is written to a read-only index"
    finally:
        for path in [index_copy.index_dir, *index_copy.index_dir.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)


def test_read_only_index_that_needs_a_build_says_which_folder_and_setting(settings, tmp_path):
    empty = tmp_path / "readonly-index"
    empty.mkdir()
    make_read_only(empty)
    env = env_for(settings.model_copy(update={"index_dir": empty}))
    for args in (["search", "research engineers", "--json"], ["index", "--quiet"]):
        result = run_advisor(args, env, preexec_fn=_drop_file_override_capabilities)
        stderr = result.stderr.decode()
        assert result.returncode == 2, stderr[-2000:]
        assert "Traceback" not in stderr and "read-only" in stderr
        assert str(empty) in stderr and "ADVISOR_INDEX_DIR" in stderr
    empty.chmod(0o755)


# ---------------------------------------------------------------- 2. a Chroma server that never replies


@pytest.fixture()
def silent_server():
    """Accepts connections and never replies."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    listener.close()


def test_a_silent_chroma_server_fails_with_a_message_instead_of_hanging(settings, silent_server):
    env = env_for(settings, ADVISOR_CHROMA_URL=silent_server, ADVISOR_CHROMA_TIMEOUT_S="1")
    for args in (["search", "research engineers", "--json"], ["index", "--quiet"]):
        result = run_advisor(args, env, timeout=90)  # hung for more than 300 s before
        stderr = result.stderr.decode()
        assert result.returncode == 2, stderr[-2000:]
        assert "did not answer" in stderr and "ADVISOR_CHROMA_TIMEOUT_S" in stderr and "Traceback" not in stderr


@pytest.fixture()
def handshake_then_silence():
    """Answers the requests chromadb's HttpClient makes while it is created, then never replies."""
    import http.server

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:
            if "/collections" in self.path:
                time.sleep(60)  # silence
                return
            if self.path.endswith("/heartbeat"):
                body = {"nanosecond heartbeat": 1}
            elif self.path.endswith("/auth/identity"):
                body = {"user_id": "", "tenant": "default_tenant", "databases": ["default_database"]}
            elif self.path.endswith("/databases/default_database"):
                body = {
                    "id": "00000000-0000-0000-0000-000000000000",
                    "name": "default_database",
                    "tenant": "default_tenant",
                }
            else:
                body = {"name": "default_tenant"}
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_every_request_to_the_chroma_server_has_a_bounded_timeout(index_copy, handshake_then_silence):
    from advisor.index import ChromaUnavailable

    s = index_copy.model_copy(update={"chroma_url": handshake_then_silence, "chroma_timeout_s": 1.0})
    shutil.copy(index_copy.index_dir / "current.json", pointer_path(s))
    outcome: dict = {}

    def open_it() -> None:
        try:
            open_index(s)
        except Exception as exc:
            outcome["error"] = exc

    worker = threading.Thread(target=open_it, daemon=True)
    worker.start()
    worker.join(45)  # a hang guard, not a timing: the request is bounded by the 1 s timeout
    assert not worker.is_alive(), "opening the index hung on a server that stopped replying"
    assert isinstance(outcome.get("error"), ChromaUnavailable)
    assert "did not answer in time" in str(outcome["error"]) and "ADVISOR_CHROMA_TIMEOUT_S" in str(outcome["error"])
    assert chroma_client(s) is not None  # the handshake itself still works


# ---------------------------------------------------------------- 3. bad bytes


BAD_BATCH = (
    b'{"id": 1, "q": "Member of Technical Staff"}\n'
    b'{"id": 2, "q": "caf\xe9 \xff research"}\n'
    b'{"id": 3, "q": "lone \\ud800 surrogate"}\n'
    b"\n"
    b'{"id": 4, "q": "What does an ML engineer do?"}\n'
)


def test_jsonl_reports_each_bad_line_and_reads_on(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_bytes(BAD_BATCH + b"[1, 2]\n{broken\n")
    rows = list(iter_jsonl(path))
    assert [n for n, _, _ in rows] == [1, 2, 3, 5, 6, 7]
    assert [obj["id"] for _, obj, error in rows if not error] == [1, 4]
    errors = {n: error for n, _, error in rows if error}
    assert "not UTF-8" in errors[2] and "byte 0xe9" in errors[2] and f"{path}:2" in errors[2]
    assert "surrogate" in errors[3] and "JSON object" in errors[6] and f"{path}:7" in errors[7]


def test_prepare_input_replaces_characters_that_are_not_text_with_a_notice():
    text, notices = prepare_input("caf\udce9 lone \ud800 ok", 100, empty="empty", truncated="{length}")
    assert text == "caf\ufffd lone \ufffd ok" and notices and "2 character(s)" in notices[0]
    text.encode("utf-8")  # every later stage can write it out
    with pytest.raises(InputError):
        prepare_input("\udcff\ud800", 100, empty="empty", truncated="{length}")


def test_a_batch_with_bad_bytes_gives_each_bad_line_an_error_and_goes_on(settings, tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_bytes(BAD_BATCH)
    result = run_advisor(["search", "--batch", str(path), "-k", "1", "--json"], env_for(settings))
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    out = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert len(out) == 4
    assert out[0]["id"] == 1 and out[0]["results"] and out[3]["id"] == 4 and out[3]["results"]
    assert out[1]["line"] == 2 and "not UTF-8" in out[1]["error"]
    assert out[2]["line"] == 3 and "surrogate" in out[2]["error"]


def test_a_bad_byte_in_a_command_line_question_is_replaced_with_a_notice(settings):
    # argv bytes that are not UTF-8 reach Python as lone surrogates (\udce9): this was a TypeError traceback
    result = run_advisor(["search", b"caf\xe9 Member of Technical Staff", "-k", "1", "--json"], env_for(settings))
    stderr = result.stderr.decode()
    assert result.returncode == 0, stderr[-2000:]
    assert "replaced" in stderr and "Traceback" not in stderr
    assert json.loads(result.stdout)[0]["text"]


# ---------------------------------------------------------------- 3 (HTTP) and 5. the served app


@pytest.fixture(scope="module")
def served_app(settings, tmp_path_factory):
    """The app in this process on a free port, answering from the evidence (no language model), with its
    uploads in a folder of its own."""
    from advisor.chat import stream_answer
    from ui.app import build_app
    from ui.library import Library
    from ui.serving import launch

    from .test_answer import free_port

    upload_dir = tmp_path_factory.mktemp("uploads")
    saved = os.environ.get("GRADIO_TEMP_DIR")
    os.environ["GRADIO_TEMP_DIR"] = str(upload_dir)  # before build_app: components note their cache folder
    library = Library(settings, lambda q, h: stream_answer(q, h, llm="none", settings=settings))
    demo = build_app(settings, library=library)
    port = free_port()
    launch(demo, settings, "127.0.0.1", port, block=False, upload_dir=upload_dir)
    yield {"url": f"http://127.0.0.1:{port}", "uploads": upload_dir, "janitor": demo.advisor_upload_janitor}
    demo.close()
    if saved is None:
        os.environ.pop("GRADIO_TEMP_DIR", None)
    else:
        os.environ["GRADIO_TEMP_DIR"] = saved


def call_api(url: str, api_name: str, data: list, session: str, body: bytes | None = None) -> dict:
    """Join the queue with a raw JSON body (so it can carry what a JSON encoder would refuse) and read the
    event stream to its end; the last message."""
    import httpx

    config = httpx.get(f"{url}/config", timeout=30).json()
    fn_index = next(i for i, d in enumerate(config["dependencies"]) if d.get("api_name") == api_name)
    if body is None:
        body = json.dumps({"data": data, "fn_index": fn_index, "session_hash": session}).encode()
    body = body.replace(b"__FN__", str(fn_index).encode())
    joined = httpx.post(f"{url}/gradio_api/queue/join", content=body, headers={"content-type": "application/json"})
    assert joined.status_code == 200, joined.text
    last: dict = {}
    with httpx.stream("GET", f"{url}/gradio_api/queue/data?session_hash={session}", timeout=120) as stream:
        for line in stream.iter_lines():
            if line.startswith("data:"):
                last = json.loads(line[5:])
                if last.get("msg") in ("process_completed", "unexpected_error"):
                    break
    return last


def test_a_lone_surrogate_over_http_gets_a_whole_reply(served_app):
    body = (
        b'{"data": ["What does a research engineer \\ud800 do?", null], "fn_index": __FN__, '
        b'"session_hash": "surrogate1"}'
    )
    reply = call_api(served_app["url"], "respond", [], "surrogate1", body=body)
    assert reply.get("msg") == "process_completed" and reply.get("success"), reply
    messages = reply["output"]["data"][0]
    assert "\ufffd" in json.dumps(messages, ensure_ascii=False)
    assert 'class="answer' in str(messages[-1])
    fit = call_api(
        served_app["url"],
        "run_fit",
        [],
        "surrogate2",
        body=b'{"data": ["I love publishing \\udfff papers", null, null'
        + b", null" * 9
        + b'], "fn_index": __FN__, "session_hash": "surrogate2"}',
    )
    assert fit.get("msg") == "process_completed" and fit.get("success"), fit


def upload(url: str, name: str, data: bytes):
    import httpx

    return httpx.post(f"{url}/gradio_api/upload", files={"files": (name, data, "application/octet-stream")}, timeout=60)


def files_under(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()]


def test_uploads_do_not_stay_on_disk(served_app, settings):
    from ui.uploads import UPLOAD_FOLDER_CAP_FILES, folder_bytes

    url, folder, janitor = served_app["url"], served_app["uploads"], served_app["janitor"]
    cap = UPLOAD_FOLDER_CAP_FILES * int(settings.ui.max_upload_mb * 1024 * 1024)
    # 20 uploads of 4 MB that nobody reads: the folder never holds more than the cap
    for i in range(20):
        assert upload(url, f"cv{i}.txt", os.urandom(4 * 1024 * 1024)).status_code == 200
        assert folder_bytes(folder) <= cap
    # a file over the limit is refused and leaves nothing behind
    assert upload(url, "huge.txt", b"x" * int((settings.ui.max_upload_mb + 1) * 1024 * 1024)).status_code == 413
    assert not [p for p in files_under(folder) if p.name == "huge.txt"]
    # an upload that is read is removed at once; so is one the reader refuses (a binary "PDF")
    for name, data, ok in (
        ("cv.txt", b"I love publishing papers and inventing algorithms.\n", True),
        ("fake.pdf", os.urandom(20_000), False),
    ):
        path = upload(url, name, data).json()[0]
        assert Path(path).exists()
        reply = call_api(
            url,
            "run_fit",
            ["", {"path": path, "meta": {"_type": "gradio.FileData"}, "orig_name": name}, None] + [None] * 9,
            f"upload-{name}",
        )
        assert reply.get("success"), reply
        assert ("fit-error" not in reply["output"]["data"][0]) == ok
        assert not Path(path).exists()
    # what nobody read is swept once it is a minute old
    old = time.time() - 120
    for path in files_under(folder):
        os.utime(path, (old, old))
    janitor.sweep()
    assert files_under(folder) == []


# ---------------------------------------------------------------- 4. start-up bursts


def test_concurrent_first_requests_wait_for_one_load_of_each_model(settings, monkeypatch):
    from advisor import chat
    from advisor.core.cache import OnceCache
    from advisor.index import embeddings
    from advisor.retrieval import hybrid

    built: dict[str, int] = {"embedder": 0, "retriever": 0}
    real_embedder, real_retriever = embeddings.MiniLMEmbeddings, hybrid.Retriever

    class CountingEmbeddings(real_embedder):
        def __init__(self, *args, **kwargs):
            built["embedder"] += 1
            super().__init__(*args, **kwargs)

    class CountingRetriever(real_retriever):
        def __init__(self, *args, **kwargs):
            built["retriever"] += 1
            super().__init__(*args, **kwargs)

    # a process that has loaded nothing yet
    monkeypatch.setattr(embeddings, "MiniLMEmbeddings", CountingEmbeddings)
    monkeypatch.setattr(hybrid, "Retriever", CountingRetriever)
    monkeypatch.setattr(embeddings, "_EMBEDDERS", OnceCache(maxsize=2))
    monkeypatch.setattr(hybrid, "_RETRIEVERS", OnceCache(maxsize=4))
    monkeypatch.setattr(chat, "_ENGINES", OnceCache(maxsize=8))
    clients = 20
    barrier = threading.Barrier(clients)
    engines, errors = [], []

    def first_request() -> None:
        barrier.wait()
        try:
            engine = chat.get_engine("none", settings)
            engine.retrieve("research engineer")
            engines.append(engine)
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=first_request) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert built == {"embedder": 1, "retriever": 1}
    assert len({id(e) for e in engines}) == 1 and len(engines) == clients


# ---------------------------------------------------------------- 6. progress and notices on stderr


def test_json_output_stays_json_after_an_automatic_rebuild(index_copy, corpus_copy):
    source = corpus_copy / "sources" / "10-zero.md"
    source.write_text(
        source.read_text(encoding="utf-8").replace(
            "## Abstract\n\n", "## Abstract\n\nZeRO removes memory redundancy across data-parallel processes.\n\n"
        ),
        encoding="utf-8",
    )
    generation = json.loads((index_copy.index_dir / "current.json").read_text())["generation"]
    (index_copy.index_dir / generation / "passages.jsonl").write_text("{not json\n")
    s = index_copy.model_copy(update={"corpus_dir": corpus_copy})
    result = run_advisor(["search", "ZeRO memory redundancy", "-k", "2", "--json"], env_for(s))
    stderr = result.stderr.decode()
    assert result.returncode == 0, stderr[-2000:]
    assert "moved it to" in stderr and "embedding passages" in stderr  # the notice and the bar: on stderr
    assert json.loads(result.stdout)[0]["doc"] == "ref-10"  # and stdout is the JSON, nothing else


def test_index_notices_never_go_to_stdout(index_copy, capfd):
    generation = json.loads((index_copy.index_dir / "current.json").read_text())["generation"]
    (index_copy.index_dir / generation / "passages.jsonl").write_text("{not json\n")
    ensure_index(index_copy, notify=print)  # what a caller passing print (get_retriever's default) gets
    out, err = capfd.readouterr()
    assert out == "" and "moved it to" in err


# ---------------------------------------------------------------- 7. generations orphaned by a killed build


def test_advisor_index_sweeps_generations_orphaned_by_a_killed_build(index_copy):
    live = open_index(index_copy)
    orphan = f"g{time.time_ns()}"
    client = chroma_client(index_copy)
    collection = client.create_collection(f"{index_copy.collection_prefix}_{orphan}")
    collection.add(ids=["x"], embeddings=[[0.0] * 383 + [1.0]], documents=["half-written"])
    (index_copy.index_dir / orphan).mkdir()
    (index_copy.index_dir / orphan / "passages.jsonl").write_text("")  # SIGKILL right after the folder appeared
    summary = build_index(index_copy, progress=False, notify=lambda m: None)
    assert summary.up_to_date
    assert not (index_copy.index_dir / orphan).exists()
    names = {c if isinstance(c, str) else c.name for c in client.list_collections()}
    assert names == {live.pointer["collection"]}
    assert [p.name for p in index_copy.index_dir.glob("g[0-9]*")] == [live.generation]
    assert open_index(index_copy).collection.count() == len(live.passages)
