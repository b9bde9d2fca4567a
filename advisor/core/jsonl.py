"""JSON Lines files: read them whole (evaluation sets) or line by line with per-line errors (batches).

A line is refused, with a message naming file, line and column, when it is not UTF-8, not a JSON object,
or holds a string that is not text (a lone surrogate such as "\\ud800", which no encoder can write out);
the lines after it are still read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

_SURROGATE = re.compile("[\ud800-\udfff]")


class JsonlError(ValueError):
    """A JSON Lines file is missing or has a malformed line; the message names file and line."""


def _first_surrogate(value) -> str | None:
    """The first lone surrogate in any string of a parsed JSON value (keys included), or None."""
    if isinstance(value, str):
        match = _SURROGATE.search(value)
        return match.group() if match else None
    if isinstance(value, dict):
        for key, item in value.items():
            found = _first_surrogate(key) or _first_surrogate(item)
            if found:
                return found
    elif isinstance(value, list):
        for item in value:
            found = _first_surrogate(item)
            if found:
                return found
    return None


def parse_jsonl_line(raw: bytes) -> dict:
    """One line as a JSON object; ValueError with the reason when it is not one (see the module doc)."""
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at column {exc.start + 1})") from None
    obj = json.loads(line)
    if not isinstance(obj, dict):
        raise ValueError("expected a JSON object")
    bad = _first_surrogate(obj)
    if bad:
        raise ValueError(f"holds \\u{ord(bad):04x}, half of a surrogate pair, which is not a character")
    return obj


def iter_jsonl(path: Path) -> Iterator[tuple[int, dict | None, str | None]]:
    """(line number, object or None, error or None) for each non-blank line; a bad line is reported,
    not fatal, so a batch goes on past it."""
    path = Path(path)
    if not path.exists():
        raise JsonlError(f"{path} does not exist")
    if path.is_dir():
        raise JsonlError(f"{path} is a folder, not a JSON Lines file")
    with open(path, "rb") as fh:
        for n, raw in enumerate(fh, 1):
            if n == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]  # a UTF-8 byte-order mark written by some editors
            if not raw.strip():
                continue
            try:
                yield n, parse_jsonl_line(raw), None
            except ValueError as exc:  # json.JSONDecodeError is a ValueError
                yield n, None, f"{path}:{n}: malformed JSON line ({exc})"


def load_jsonl(path: Path) -> list[dict]:
    """Every object of the file; the first malformed line raises JsonlError."""
    rows = []
    for _, obj, error in iter_jsonl(path):
        if error:
            raise JsonlError(error)
        rows.append(obj)
    return rows
