"""Read a CV or profile file (.txt, .md, .pdf, .docx) from bytes, in memory only.

The file is never written to disk, never put into index/ or any shared store, and its content is never
logged: errors name the file, its type and the limit, not what is inside.
"""

from __future__ import annotations

import io
import logging
import re
import zipfile
from contextlib import contextmanager
from pathlib import Path, PurePath

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
SUPPORTED = (".txt", ".md", ".pdf", ".docx")
# A .docx is a zip; its XML may expand a lot, but a CV never needs more than this once unpacked.
MAX_DOCX_UNPACKED = 50 * 1024 * 1024
MAX_PDF_PAGES = 50


class ProfileFileError(ValueError):
    """The file cannot be read as a profile; the message says why and what to do instead."""


def human_size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MB".replace(".0 MB", " MB")
    if n >= 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n} bytes"


def check_size(filename: str, size: int, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
    """Raise ProfileFileError naming the limit if the file is too big (callers check before reading)."""
    if size > max_bytes:
        raise ProfileFileError(
            f"{PurePath(filename or 'profile').name} is {human_size(size)}; the limit is "
            f"{human_size(max_bytes)}. Upload a shorter CV or paste the relevant part as text."
        )


def read_profile_path(path, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """read_profile_bytes for a local file, checking the size before reading it."""
    path = Path(path)
    if not path.is_file():
        raise ProfileFileError(f"{path} does not exist or is not a file.")
    check_size(path.name, path.stat().st_size, max_bytes)
    return read_profile_bytes(path.name, path.read_bytes(), max_bytes)


def read_profile_bytes(filename: str, data: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """The text of an uploaded profile. Raises ProfileFileError for an oversized, unsupported, encrypted,
    unreadable or mislabelled file (e.g. a binary file renamed .pdf)."""
    name = PurePath(filename or "profile").name
    suffix = PurePath(name).suffix.lower()
    check_size(name, len(data), max_bytes)
    if suffix not in SUPPORTED:
        raise ProfileFileError(
            f"{name}: unsupported file type {suffix or '(none)'}; use one of {', '.join(SUPPORTED)}."
        )
    if not data.strip():
        raise ProfileFileError(f"{name} is empty.")
    if suffix == ".pdf":
        text = _pdf_text(name, data)
    elif suffix == ".docx":
        text = _docx_text(name, data)
    else:
        text = _plain_text(name, data)
    text = _tidy(text)
    if not text:
        raise ProfileFileError(
            f"{name} contains no readable text"
            + (" (a scanned PDF? paste the text instead)." if suffix == ".pdf" else ".")
        )
    return text


def _plain_text(name: str, data: bytes) -> str:
    if b"\x00" in data[:8192] or data.startswith((b"%PDF", b"PK\x03\x04")):
        raise ProfileFileError(
            f"{name} is not a text file (its content is binary); save it as plain text, .pdf or .docx."
        )
    for encoding in ("utf-8-sig", "utf-16"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding == "utf-16" and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
            continue  # only trust UTF-16 with a byte-order mark
        return text
    # Windows-1252 text is common in old CVs; reject the result if it is mostly control characters.
    text = data.decode("cp1252", errors="replace")
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\r\n\t")
    if controls > len(text) * 0.01:
        raise ProfileFileError(f"{name} is not readable text (unknown encoding or binary content).")
    return text


@contextmanager
def _quiet_pypdf():
    """pypdf warns about malformed objects via logging; keep those (which can quote the file) out of logs."""
    logger = logging.getLogger("pypdf")
    level = logger.level
    logger.setLevel(logging.ERROR + 10)
    try:
        yield
    finally:
        logger.setLevel(level)


def _pdf_text(name: str, data: bytes) -> str:
    if b"%PDF-" not in data[:1024]:  # readers accept the header anywhere in the first 1 KB
        raise ProfileFileError(f"{name} is not a PDF (it has no PDF header; a different file renamed .pdf?).")
    # pypdf and python-docx are imported when a file of their type arrives, not at start-up.
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError, PyPdfError

    with _quiet_pypdf():
        try:
            reader = PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted:
                # An owner-password-only PDF opens with an empty user password; anything else is locked.
                try:
                    opened = reader.decrypt("")
                except Exception:  # noqa: BLE001 - missing crypto backends raise their own types
                    opened = 0
                if not opened:
                    raise ProfileFileError(
                        f"{name} is an encrypted (password-protected) PDF; remove the "
                        "password or export an unprotected copy."
                    )
            pages = reader.pages
            if len(pages) > MAX_PDF_PAGES:
                raise ProfileFileError(f"{name} has {len(pages)} pages; the limit is {MAX_PDF_PAGES}.")
            return unwrap_lines("\n".join((page.extract_text() or "") for page in pages))
        except ProfileFileError:
            raise
        except (
            PdfReadError,
            PyPdfError,
            ValueError,
            KeyError,
            TypeError,
            AttributeError,
            IndexError,
            RecursionError,
            OSError,
        ) as exc:
            raise ProfileFileError(f"{name} is not a readable PDF ({type(exc).__name__}).") from None


def _docx_text(name: str, data: bytes) -> str:
    if not data.startswith(b"PK\x03\x04"):
        raise ProfileFileError(
            f"{name} is not a .docx file (a .docx is a zip package; this is not one). "
            "An old .doc? Save it as .docx or .pdf."
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            if sum(info.file_size for info in package.infolist()) > MAX_DOCX_UNPACKED:
                raise ProfileFileError(
                    f"{name} unpacks to more than {human_size(MAX_DOCX_UNPACKED)}; that is not a CV."
                )
            if "word/document.xml" not in package.namelist():
                raise ProfileFileError(f"{name} is a zip file but not a Word document.")
    except zipfile.BadZipFile:
        raise ProfileFileError(f"{name} is a damaged .docx (not a valid zip package).") from None
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise ProfileFileError(f"{name} is not a readable .docx ({type(exc).__name__}).") from None
    except Exception as exc:  # noqa: BLE001 - lxml raises its own XML errors for a corrupt part
        raise ProfileFileError(f"{name} is not a readable .docx ({type(exc).__name__}).") from None
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:  # many CVs lay out skills and jobs in tables
        for row in table.rows:
            cells = list(dict.fromkeys(c.text.strip() for c in row.cells if c.text.strip()))
            if cells:
                lines.append(" | ".join(cells))
    return "\n".join(lines)


def unwrap_lines(text: str) -> str:
    """Join the lines a PDF wrapped mid-sentence (a line without end punctuation followed by one that
    starts in lower case), so sentences are read whole; bullet and heading lines stay separate."""
    return re.sub(r"(?<=[^\s.!?:;])[ \t]*\n[ \t]*(?=[a-z(])", " ", text)


def _tidy(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    text = re.sub(r"[ \t\f\v]+", " ", text)
    text = re.sub(r"\n\s*\n+", "\n\n", text)
    return text.strip()
