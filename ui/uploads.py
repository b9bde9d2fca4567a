"""Uploaded files: read once, then removed; nothing a user sends stays on disk."""

from __future__ import annotations

import atexit
import logging
import shutil
import tempfile
from pathlib import Path

log = logging.getLogger("advisor.ui")


def upload_error_message(exc: Exception, filename: str) -> str:
    """The reader's own message for a file it refuses (ProfileFileError is a ValueError and names the
    file and the limit); for anything else only the file name, never what is inside."""
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
