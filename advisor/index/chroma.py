"""Chroma clients: embedded under index/chroma, or a server named by ADVISOR_CHROMA_URL; fail fast."""

from __future__ import annotations

import re
import socket
from pathlib import Path
from urllib.parse import urlparse

import chromadb
from chromadb.config import Settings as ChromaSettings

from ..core.settings import Settings
from .errors import ChromaUnavailable



def chroma_client(settings: Settings):
    """PersistentClient under index/chroma, or an HttpClient when ADVISOR_CHROMA_URL is set."""
    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        if not url.hostname:
            raise ChromaUnavailable(f"ADVISOR_CHROMA_URL={settings.chroma_url!r} is not a URL like http://127.0.0.1:8000")
        port = url.port or (443 if url.scheme == "https" else 8000)
        _check_reachable(url.hostname, port, settings.chroma_timeout_s, settings.chroma_url)
        try:
            client = chromadb.HttpClient(host=url.hostname, port=port, ssl=url.scheme == "https",
                                         settings=chroma_settings)
            client.heartbeat()
        except Exception as exc:  # chromadb raises ValueError / httpx errors for a dead server
            raise ChromaUnavailable(f"Chroma server at {settings.chroma_url} did not answer: {exc}") from exc
        return client
    path = settings.index_dir / "chroma"
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings)


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


def pointer_path(settings: Settings) -> Path:
    """The file naming the live generation (one per Chroma server, so two servers never share one)."""
    if settings.chroma_url:
        slug = re.sub(r"[^A-Za-z0-9]+", "-", settings.chroma_url).strip("-")
        return settings.index_dir / f"current-{slug}.json"
    return settings.index_dir / "current.json"


