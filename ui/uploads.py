"""Uploaded files: read once, then removed; nothing a user sends stays on disk.

Gradio writes every upload (POST /gradio_api/upload) into the app's private upload folder before any
handler sees it. The role-fit handler deletes the file it read (or refused) at once (`delete_upload`);
what no handler ever reads (an upload never followed by "Find my role", a file Gradio refused half-way)
is swept: anything older than UPLOAD_MAX_AGE_S, and the oldest files whenever the folder holds more than
UPLOAD_FOLDER_CAP_FILES uploads' worth of bytes. The sweep runs before every upload request (making room
for it) and after it, and every few seconds in a background thread.
"""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

log = logging.getLogger("advisor.ui")

UPLOAD_MAX_AGE_S = 60.0  # an upload nobody read within a minute is removed
UPLOAD_FOLDER_CAP_FILES = 4  # the folder holds at most this many largest-allowed uploads' worth of bytes
SWEEP_EVERY_S = 5.0
EXPIRED_UPLOAD = (
    "{filename} is no longer on the server (an upload is kept for a minute at most, until it is read). "
    "Please upload it again."
)


def upload_error_message(exc: Exception, filename: str) -> str:
    """The reader's own message for a file it refuses (ProfileFileError is a ValueError and names the
    file and the limit); for anything else only the file name, never what is inside."""
    if isinstance(exc, FileNotFoundError):
        return EXPIRED_UPLOAD.format(filename=filename)
    if isinstance(exc, ValueError) and str(exc):
        return str(exc)
    return f"Could not read {filename} ({exc.__class__.__name__}). Try a .txt, .md, .pdf or .docx file."


def delete_upload(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
        if path.parent != Path(tempfile.gettempdir()) and not any(path.parent.iterdir()):
            path.parent.rmdir()  # Gradio stores each upload in its own hashed folder
    except OSError:
        log.warning("could not delete an uploaded file from the temp folder")


def private_upload_dir() -> Path:
    """A 0700 temp folder for Gradio's upload cache, removed when the process exits."""
    folder = Path(tempfile.mkdtemp(prefix="advisor-uploads-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def folder_bytes(folder: Path) -> int:
    """Total size of the files under folder."""
    total = 0
    for root, _, files in os.walk(folder):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                continue
    return total


def sweep_uploads(
    folder: Path, max_age_s: float = UPLOAD_MAX_AGE_S, max_bytes: int | None = None, now: float | None = None
) -> list[Path]:
    """Remove the files under folder older than max_age_s, then the oldest ones until the rest hold at most
    max_bytes, then the emptied sub-folders. Returns what was removed."""
    folder = Path(folder)
    now = time.time() if now is None else now
    files: list[tuple[float, int, Path]] = []
    for root, _, names in os.walk(folder):
        for name in names:
            path = Path(root) / name
            try:
                stat = path.lstat()
            except OSError:
                continue
            files.append((stat.st_mtime, stat.st_size, path))
    files.sort()  # oldest first
    removed: list[Path] = []
    total = sum(size for _, size, _ in files)
    for mtime, size, path in files:
        too_old = now - mtime > max_age_s
        too_big = max_bytes is not None and total > max_bytes
        if not (too_old or too_big):
            continue
        try:
            path.unlink()
        except FileNotFoundError:
            pass  # a handler deleted it first
        except OSError:
            log.warning("could not remove an old upload from the upload folder")
            continue
        total -= size
        removed.append(path)
    for root, dirs, _names in os.walk(folder, topdown=False):
        for name in dirs:
            sub = Path(root) / name
            try:
                if not any(sub.iterdir()) and now - sub.stat().st_mtime > min(max_age_s, SWEEP_EVERY_S):
                    sub.rmdir()  # an empty hashed folder a moment old: its upload is gone
            except OSError:
                continue
    return removed


class UploadJanitor:
    """Sweeps one upload folder: on demand (after each upload) and every SWEEP_EVERY_S in a daemon thread."""

    def __init__(self, folder: Path, max_bytes: int, max_age_s: float = UPLOAD_MAX_AGE_S):
        self.folder = Path(folder)
        self.max_bytes = max_bytes
        self.max_age_s = max_age_s
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def sweep(self, reserve: int = 0) -> list[Path]:
        """Sweep now; `reserve` bytes are kept free for an upload about to be written."""
        with self._lock:
            try:
                return sweep_uploads(self.folder, self.max_age_s, max(0, self.max_bytes - reserve))
            except Exception:  # never let housekeeping break a request
                log.exception("upload sweep failed")
                return []

    def start(self) -> UploadJanitor:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="advisor-upload-janitor", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(SWEEP_EVERY_S):
            self.sweep()
