"""JSON Lines files: read them whole (evaluation sets) or line by line with per-line errors (batches)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path


class JsonlError(ValueError):
    """A JSON Lines file is missing or has a malformed line; the message names file and line."""


def iter_jsonl(path: Path) -> Iterator[tuple[int, dict | None, str | None]]:
    """(line number, object or None, error or None) for each non-blank line; a bad line is reported,
    not fatal, so a batch goes on past it."""
    path = Path(path)
    if not path.exists():
        raise JsonlError(f"{path} does not exist")
    with open(path, encoding="utf-8", errors="replace") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
                if not isinstance(obj, dict):
                    raise ValueError("expected a JSON object")
                yield n, obj, None
            except ValueError as exc:
                yield n, None, f"{path}:{n}: malformed JSON line ({exc})"


def load_jsonl(path: Path) -> list[dict]:
    """Every object of the file; the first malformed line raises JsonlError."""
    rows = []
    for _, obj, error in iter_jsonl(path):
        if error:
            raise JsonlError(error)
        rows.append(obj)
    return rows
