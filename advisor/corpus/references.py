"""references.json: the paper's 32 references, with the source file we hold for each (if any)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from .files import REFERENCES_FILE, CorpusError, line_of, read_text


@dataclass(frozen=True)
class Reference:
    id: int
    key: str
    authors: tuple[str, ...]
    title: str
    venue: str
    year: int | None
    url: str
    kind: str
    reference_text_in_paper: str
    source_file: str | None



def load_references(corpus_dir: Path) -> dict[int, Reference]:
    path = corpus_dir / REFERENCES_FILE
    raw = read_text(path)
    try:
        items = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise CorpusError(f"{path}:{exc.lineno}: malformed JSON ({exc.msg})") from exc
    if not isinstance(items, list):
        raise CorpusError(f"{path}:1: expected a JSON list of references")
    refs: dict[int, Reference] = {}
    for i, item in enumerate(items):
        try:
            ref = Reference(
                id=int(item["id"]),
                key=str(item["key"]),
                authors=tuple(item.get("authors") or ()),
                title=str(item["title"]),
                venue=str(item.get("venue") or ""),
                year=int(item["year"]) if item.get("year") else None,
                url=str(item.get("url") or ""),
                kind=str(item.get("kind") or ""),
                reference_text_in_paper=str(item.get("reference_text_in_paper") or ""),
                source_file=item.get("source_file"),
            )
        except (KeyError, TypeError, ValueError) as exc:
            anchor = f'"id": {item.get("id")}' if isinstance(item, dict) else ""
            line = line_of(raw, raw.find(anchor)) if anchor and anchor in raw else 1
            raise CorpusError(f"{path}:{line}: reference #{i + 1} is malformed ({exc!r})") from exc
        refs[ref.id] = ref
    return refs


