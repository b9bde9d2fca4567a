"""`advisor serve`: the app on host:port, its uploads in a private folder, models loaded after the page.

Every request passes InputGuard first: a JSON body holding characters that are not text (a lone surrogate
such as "\\ud800", or bytes that are not UTF-8) has them replaced with U+FFFD before Gradio parses it, so no
text input can break the reply stream; after each upload the upload folder is swept (ui.uploads).
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import signal
import sys
import threading
from pathlib import Path

from advisor.chat import get_engine
from advisor.core.settings import Settings, get_settings
from advisor.core.text import scrub_text
from advisor.retrieval import get_retriever

from .app import build_app
from .library import Library
from .uploads import UPLOAD_FOLDER_CAP_FILES, UploadJanitor, private_upload_dir
from .widgets import static_text

log = logging.getLogger("advisor.ui")

# A JSON escape of a UTF-16 surrogate (\ud800-\udfff): valid JSON, but half of a pair is not a character.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def _scrub(value):
    if isinstance(value, str):
        return scrub_text(value)[0]
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    if isinstance(value, dict):
        return {_scrub(k): _scrub(v) for k, v in value.items()}
    return value


def clean_json_body(body: bytes) -> bytes | None:
    """body with its non-text characters replaced, or None when it needs nothing (or is not JSON)."""
    try:
        body.decode("utf-8")
        valid_utf8 = True
    except UnicodeDecodeError:
        valid_utf8 = False
    if valid_utf8 and not _SURROGATE_ESCAPE.search(body):
        return None
    try:
        value = json.loads(body.decode("utf-8", errors="replace"))
    except ValueError:
        return None  # not JSON: Gradio answers it with its own 4xx
    return json.dumps(_scrub(value), ensure_ascii=False).encode("utf-8")


class InputGuard:
    """ASGI middleware: clean JSON request bodies (see the module doc); sweep uploads after each upload."""

    def __init__(self, app, janitor: UploadJanitor | None = None):
        self.app = app
        self.janitor = janitor

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope.get("method") != "POST":
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        if scope.get("path", "").endswith("/upload"):
            if self.janitor is None:
                return await self.app(scope, receive, send)
            try:
                incoming = int(headers.get(b"content-length", b"0"))
            except ValueError:
                incoming = 0
            self.janitor.sweep(reserve=incoming)  # make room first: the folder never holds more than its cap
            try:
                return await self.app(scope, receive, send)
            finally:
                self.janitor.sweep()
        if b"json" not in headers.get(b"content-type", b""):
            return await self.app(scope, receive, send)
        chunks, more = [], True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return await self.app(scope, _replay([message], receive), send)
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        cleaned = clean_json_body(body)
        if cleaned is not None:
            body = cleaned
            scope = dict(scope)
            scope["headers"] = [(k, v) for k, v in scope["headers"] if k != b"content-length"] + [
                (b"content-length", str(len(body)).encode())
            ]
        return await self.app(
            scope, _replay([{"type": "http.request", "body": body, "more_body": False}], receive), send
        )


def _replay(messages: list[dict], receive):
    pending = list(messages)

    async def replay():
        if pending:
            return pending.pop(0)
        return await receive()  # e.g. http.disconnect while a stream is open

    return replay


def launch(demo, settings: Settings, host: str, port: int, *, block: bool = True, upload_dir: Path | None = None):
    """Queue with room for 20 simultaneous chats and serve on host:port, never through a share link.
    Uploads land in upload_dir: by default GRADIO_TEMP_DIR when it is set (set it before build_app: components
    note their cache folder when created), else a private temp folder; an UploadJanitor sweeps it."""
    from starlette.middleware import Middleware

    demo.queue(default_concurrency_limit=settings.ui.concurrency, max_size=settings.ui.max_queue)
    if upload_dir is None:
        upload_dir = Path(os.environ.get("GRADIO_TEMP_DIR") or private_upload_dir())
    os.environ["GRADIO_TEMP_DIR"] = str(upload_dir)  # read by Gradio when launch creates its app
    max_bytes = int(settings.ui.max_upload_mb * 1024 * 1024)
    janitor = UploadJanitor(upload_dir, max_bytes=UPLOAD_FOLDER_CAP_FILES * max_bytes).start()
    demo.advisor_upload_janitor = janitor  # for tests and benchmarks: which folder, what limits
    return demo.launch(
        server_name=host,
        server_port=port,
        share=False,
        css=static_text("app.css"),
        max_file_size=max_bytes,
        show_error=False,
        footer_links=[],
        quiet=True,
        prevent_thread_lock=not block,
        ssr_mode=False,
        app_kwargs={"middleware": [Middleware(InputGuard, janitor=janitor)]},
    )


def warm_up(settings: Settings) -> bool:
    """Load the retriever, the index and the embedder, then fit the planner's intent and answerability models
    (seconds; read back from beside the index when it was fitted before)."""
    try:
        get_retriever(settings, notify=log.info).search("research engineer", 1)
        get_engine(None, settings).warm_up()
        return True
    except Exception:
        log.exception("warm-up failed; the first question will load the models")
        return False


def load_models(settings: Settings, library: Library) -> None:
    """The models, then the citation verdicts for the explorer; the page says so until the models are in."""
    library.models_status = "ready" if warm_up(settings) else "failed"
    library.load_audit()


def serve(settings: Settings | None = None, host: str | None = None, port: int | None = None) -> None:
    settings = settings or get_settings()
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    upload_dir = private_upload_dir()
    os.environ["GRADIO_TEMP_DIR"] = str(upload_dir)
    # SIGTERM's default action skips atexit, so remove the upload folder in the handler itself (before
    # anything is served); a shutdown that then hangs and ends in SIGKILL has nothing left behind.
    signal.signal(signal.SIGTERM, lambda signum, frame: (shutil.rmtree(upload_dir, ignore_errors=True), sys.exit(0)))
    library = Library(settings)
    library.models_status = "loading"
    demo = build_app(settings, library=library)
    host, port = host or settings.ui.host, port or settings.ui.port
    launch(demo, settings, host, port, block=False, upload_dir=upload_dir)
    print(f"Continuum Advisor on http://{host}:{port}  (Ctrl+C to stop)", flush=True)
    # Only once the page is served: load the models, then the citation verdicts for the explorer.
    threading.Thread(target=load_models, args=(settings, library), name="advisor-warm-up", daemon=True).start()
    try:
        demo.block_thread()
    except KeyboardInterrupt:
        pass
