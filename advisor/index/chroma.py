"""Chroma clients: embedded under index/chroma, or a server named by ADVISOR_CHROMA_URL; fail fast.

Embedded: the SQLite file is checked (PRAGMA quick_check, read-only) before Chroma opens it, so a damaged
store is reported as IndexCorrupt where it is opened, not as an InternalError on the first query. A store
on a read-only disk is opened from a private temporary copy (read-only serving); nothing is written back.

Server: every request has a bounded timeout (ADVISOR_CHROMA_TIMEOUT_S). The server must answer a
heartbeat within it before the client is created, creating the client is bounded by it too, and each
later request times out after it, so a server that accepts connections but never replies fails with a
message instead of hanging.
"""

from __future__ import annotations

import atexit
import logging
import os
import re
import shutil
import socket
import sqlite3
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse

import chromadb
from chromadb.config import Settings as ChromaSettings

from ..core.settings import Settings
from .errors import ChromaUnavailable, IndexCorrupt

log = logging.getLogger(__name__)

CHROMA_SQLITE = "chroma.sqlite3"
QUICK_CHECK_MAX_BYTES = 256 * 1024 * 1024  # larger stores get the header check only (quick_check reads every page)


def chroma_settings() -> ChromaSettings:
    return ChromaSettings(anonymized_telemetry=False, allow_reset=False)


def chroma_client(settings: Settings, *, check: bool = True):
    """PersistentClient under index/chroma, or an HttpClient when ADVISOR_CHROMA_URL is set.
    Raises ChromaUnavailable (server), IndexCorrupt (a damaged embedded store)."""
    if settings.chroma_url:
        return _http_client(settings)
    return _persistent_client(chroma_dir(settings), check=check)


def chroma_dir(settings: Settings) -> Path:
    return Path(settings.index_dir) / "chroma"


# ---------------------------------------------------------------- embedded


def writable(folder: Path) -> bool:
    """Whether files can be created in folder (a probe, not os.access: root ignores mode bits)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".write-probe-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        probe.write_bytes(b"")
        probe.unlink()
        return True
    except OSError:
        return False


def sqlite_problem(path: Path) -> str | None:
    """Why the SQLite file at path is damaged (quick_check, opened read-only), or None when it is sound."""
    if not path.exists():
        return None
    try:
        with open(path, "rb") as fh:
            header = fh.read(16)
        if path.stat().st_size and header != b"SQLite format 3\x00":
            return "file is not a database (bad header)"
        if path.stat().st_size > QUICK_CHECK_MAX_BYTES:
            return None
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
        try:
            rows = connection.execute("PRAGMA quick_check").fetchall()
        finally:
            connection.close()
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc):  # another process is writing right now: not damage
            return None
        return str(exc)
    except (sqlite3.DatabaseError, OSError) as exc:
        return str(exc)
    if rows != [("ok",)]:
        return "; ".join(str(r[0]) for r in rows[:3])
    return None


def _persistent_client(path: Path, *, check: bool = True):
    if check:
        problem = sqlite_problem(path / CHROMA_SQLITE)
        if problem:
            raise IndexCorrupt(f"the Chroma store {path / CHROMA_SQLITE} is damaged: {problem}")
    if path.exists() and not writable(path):
        return _read_only_client(path)
    path.mkdir(parents=True, exist_ok=True)
    try:
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings())
    except Exception as exc:  # chromadb raises InternalError for any SQLite failure
        forget_chroma_system(path)
        if "readonly" in str(exc).replace(" ", "").lower():
            return _read_only_client(path)
        raise IndexCorrupt(f"the Chroma store {path} cannot be opened: {exc}") from exc


_READ_ONLY_COPIES: dict[str, Path] = {}
_READ_ONLY_LOCK = threading.Lock()


def _read_only_client(path: Path):
    """Chroma writes to its SQLite file when it opens it, so a store on a read-only disk is served from a
    private copy in the temp folder (removed at exit). Nothing is ever written back to path."""
    with _READ_ONLY_LOCK:
        key = str(path.resolve())
        copy = _READ_ONLY_COPIES.get(key)
        if copy is None or not copy.exists():
            copy = Path(tempfile.mkdtemp(prefix="advisor-readonly-chroma-"))
            atexit.register(shutil.rmtree, copy, ignore_errors=True)
            shutil.copytree(path, copy, dirs_exist_ok=True)
            for item in [copy, *copy.rglob("*")]:
                item.chmod(0o700 if item.is_dir() else 0o600)
            _READ_ONLY_COPIES[key] = copy
            log.warning("index store %s is read-only; serving a private copy of it (%s)", path, copy)
    try:
        return chromadb.PersistentClient(path=str(copy), settings=chroma_settings())
    except Exception as exc:
        raise IndexCorrupt(f"the read-only Chroma store {path} cannot be opened: {exc}") from exc


def forget_chroma_system(path: Path | None = None) -> None:
    """Chroma caches one system per persist path; forget it (after a failed open or moving the folder)."""
    try:
        from chromadb.api.shared_system_client import SharedSystemClient

        if path is None:
            SharedSystemClient.clear_system_cache()
        else:
            SharedSystemClient._identifier_to_system.pop(str(path), None)
    except Exception:  # older/newer chromadb without the helper: nothing cached to clear
        pass


# ---------------------------------------------------------------- server


def _http_client(settings: Settings):
    url = urlparse(settings.chroma_url)
    if not url.hostname:
        raise ChromaUnavailable(f"ADVISOR_CHROMA_URL={settings.chroma_url!r} is not a URL like http://127.0.0.1:8000")
    port = url.port or (443 if url.scheme == "https" else 8000)
    timeout = float(settings.chroma_timeout_s)
    deadline = time.monotonic() + timeout
    _check_reachable(url.hostname, port, timeout, settings.chroma_url)
    _check_heartbeat(settings.chroma_url, max(0.1, deadline - time.monotonic()), timeout)
    client = _bounded(
        lambda: chromadb.HttpClient(
            host=url.hostname, port=port, ssl=url.scheme == "https", settings=chroma_settings()
        ),
        max(0.5, deadline - time.monotonic()),
        settings.chroma_url,
        timeout,
    )
    _bound_requests(client, timeout)
    return client


_WHAT_TO_CHECK = (
    "Check that the address is a Chroma server (`chroma run`), that it is not overloaded or stopped, "
    "or raise ADVISOR_CHROMA_TIMEOUT_S / unset ADVISOR_CHROMA_URL."
)


def _check_reachable(host: str, port: int, timeout: float, url: str) -> None:
    """Fail fast (within ADVISOR_CHROMA_TIMEOUT_S) rather than hang on a dead address."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except OSError as exc:
        raise ChromaUnavailable(
            f"Chroma server at {url} is unreachable ({exc.__class__.__name__}: {exc}). "
            f"Start one with `chroma run --path DIR --host {host} --port {port}` or unset ADVISOR_CHROMA_URL."
        ) from exc


def _check_heartbeat(url: str, wait: float, timeout: float) -> None:
    import httpx

    try:
        response = httpx.get(f"{url.rstrip('/')}/api/v2/heartbeat", timeout=wait)
        response.raise_for_status()
    except httpx.TimeoutException as exc:
        raise ChromaUnavailable(
            f"Chroma server at {url} accepted the connection but did not answer within {timeout:g} s. {_WHAT_TO_CHECK}"
        ) from exc
    except httpx.HTTPError as exc:
        raise ChromaUnavailable(
            f"Chroma server at {url} did not answer its heartbeat: {exc}. {_WHAT_TO_CHECK}"
        ) from exc


def _bounded(create, wait: float, url: str, timeout: float):
    """create() in a daemon thread, given at most `wait` seconds (chromadb's client makes its first
    requests inside its constructor, with no timeout of its own)."""
    result: dict = {}

    def run() -> None:
        try:
            result["value"] = create()
        except Exception as exc:
            result["error"] = exc

    worker = threading.Thread(target=run, name="advisor-chroma-connect", daemon=True)
    worker.start()
    worker.join(wait)
    if worker.is_alive():
        raise ChromaUnavailable(
            f"Chroma server at {url} did not finish the client handshake within {timeout:g} s. {_WHAT_TO_CHECK}"
        )
    if "error" in result:
        error = result["error"]
        raise ChromaUnavailable(f"Chroma server at {url} refused the client: {error}. {_WHAT_TO_CHECK}") from error
    return result["value"]


def _bound_requests(client, timeout: float) -> None:
    """Give the client's HTTP session a timeout: chromadb creates it with none."""
    import httpx

    session = getattr(getattr(client, "_server", None), "_session", None)
    if isinstance(session, httpx.Client):
        session.timeout = httpx.Timeout(timeout)
    else:  # a chromadb whose internals moved: say so rather than silently risk a hang
        log.warning("could not bound the Chroma client's request timeout (chromadb %s)", chromadb.__version__)


def is_network_error(exc: BaseException) -> bool:
    """An error of the HTTP transport (timeout, refused, reset), as opposed to a Chroma answer."""
    import httpx

    return isinstance(exc, (httpx.TransportError, TimeoutError, ConnectionError))


def unavailable(settings: Settings, exc: BaseException) -> ChromaUnavailable:
    what = "did not answer in time" if "timeout" in exc.__class__.__name__.lower() else "failed"
    return ChromaUnavailable(
        f"Chroma server at {settings.chroma_url} {what} ({exc.__class__.__name__}: {exc}). {_WHAT_TO_CHECK}"
    )


def pointer_path(settings: Settings) -> Path:
    """The file naming the live generation (one per Chroma server, so two servers never share one)."""
    if settings.chroma_url:
        slug = re.sub(r"[^A-Za-z0-9]+", "-", settings.chroma_url).strip("-")
        return settings.index_dir / f"current-{slug}.json"
    return settings.index_dir / "current.json"
