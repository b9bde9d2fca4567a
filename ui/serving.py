"""`advisor serve`: the app on host:port, its uploads in a private folder, models loaded after the page."""

from __future__ import annotations

import logging
import os
import shutil
import signal
import sys
import threading

from advisor.core.settings import Settings, get_settings
from advisor.retrieval import get_retriever

from .app import build_app
from .library import Library
from .uploads import private_upload_dir
from .widgets import static_text

log = logging.getLogger("advisor.ui")


def launch(demo, settings: Settings, host: str, port: int, *, block: bool = True):
    """Queue with room for 20 simultaneous chats and serve on host:port, never through a share link."""
    demo.queue(default_concurrency_limit=settings.ui.concurrency, max_size=settings.ui.max_queue)
    return demo.launch(
        server_name=host,
        server_port=port,
        share=False,
        css=static_text("app.css"),
        max_file_size=int(settings.ui.max_upload_mb * 1024 * 1024),
        show_error=False,
        footer_links=[],
        quiet=True,
        prevent_thread_lock=not block,
        ssr_mode=False,
    )


def warm_up(settings: Settings) -> None:
    """Load the retriever, the index and the embedder."""
    try:
        get_retriever(settings, notify=log.info).search("research engineer", 1)
    except Exception:
        log.exception("warm-up failed; the first question will load the models")


def serve(settings: Settings | None = None, host: str | None = None, port: int | None = None) -> None:
    settings = settings or get_settings()
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    upload_dir = private_upload_dir()
    os.environ["GRADIO_TEMP_DIR"] = str(upload_dir)
    # SIGTERM's default action skips atexit, so remove the upload folder in the handler itself (before
    # anything is served); a shutdown that then hangs and ends in SIGKILL has nothing left behind.
    signal.signal(signal.SIGTERM, lambda signum, frame: (shutil.rmtree(upload_dir, ignore_errors=True), sys.exit(0)))
    library = Library(settings)
    demo = build_app(settings, library=library)
    host, port = host or settings.ui.host, port or settings.ui.port
    launch(demo, settings, host, port, block=False)
    print(f"Continuum Advisor on http://{host}:{port}  (Ctrl+C to stop)", flush=True)
    # Only once the page is served: load the models, then the citation verdicts for the explorer.
    threading.Thread(
        target=lambda: (warm_up(settings), library.load_audit()), name="advisor-warm-up", daemon=True
    ).start()
    try:
        demo.block_thread()
    except KeyboardInterrupt:
        pass
