"""references.json: the paper's 32 references, with the source file we hold for each (if any)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from pathlib import Path

from ..core.text import spelled_initials
from .files import REFERENCES_FILE, CorpusError, line_of, read_text

# The names a work's own text gives it: "We call the resulting models InstructGPT", "a predicted compute-optimal
# model, Chinchilla, that …", "the Beyond the Imitation Game benchmark (BIG-bench)" (an acronym of its title).
_NAME = r"(?P<name>[A-Z][\w.-]*[A-Za-z0-9])"
_CALLED = re.compile(rf"\b(?:call(?:s|ed)?|nam(?:e|es|ed)|dub(?:s|bed)?)\s+(?:[a-z]+\s+){{0,4}}{_NAME}")
_APPOSITIVE = re.compile(rf"\b(?:model|method|benchmark|system|agent|framework|dataset),\s+{_NAME},")
_PARENTHESISED = re.compile(r"\((?P<name>[A-Za-z][\w-]*[A-Z][\w-]*)\)")


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
    aliases: tuple[str, ...] = ()  # what the work calls itself besides its title ("Chinchilla", "MMLU")


def coined_names(title: str, key: str, text: str) -> tuple[str, ...]:
    """The names a work gives itself in its own text, and its key when that is an acronym of its title
    ("mmlu" for "Measuring Massive Multitask Language Understanding"): people ask about "the Chinchilla
    paper", whose title never says Chinchilla."""
    names = [m["name"] for pattern in (_CALLED, _APPOSITIVE) for m in pattern.finditer(text)]
    names += [m["name"] for m in _PARENTHESISED.finditer(text) if spelled_initials(m["name"], title)]
    if re.fullmatch(r"[a-z]+", key) and spelled_initials(key.upper(), title):
        names.append(key.upper())
    return tuple(dict.fromkeys(names))



def author_phrase(ref: Reference) -> str:
    """ "Aidan Lakshman", "Dettmers et al.", "Google DeepMind" — names as the source header spells them."""
    if not ref.authors:
        return "an unnamed author"
    first = ref.authors[0]
    return f"{first} et al." if len(ref.authors) > 2 else " and ".join(ref.authors)


def attribution(ref: Reference) -> str:
    """Who a quotation from the work is by, for the reader: "Chip Huyen (2021, reference 12)"."""
    return f"{author_phrase(ref)} ({f'{ref.year}, ' if ref.year else ''}reference {ref.id})"


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
        source = (corpus_dir / ref.source_file).resolve() if ref.source_file else None
        if source is not None and source.is_relative_to(corpus_dir.resolve()) and source.is_file():
            ref = replace(ref, aliases=coined_names(ref.title, ref.key, read_text(source)))
        refs[ref.id] = ref
    return refs


