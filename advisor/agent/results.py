"""What a tool returns: statements the composer can say, each tied to the passages that vouch for it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from ..core.text import strip_citations, strip_markdown
from ..core.types import Passage, Record


class Reading(StrEnum):
    """How a tool read what the request is about."""

    NONE = ""  # nothing matched
    NUMBER = "number"
    AUTHOR = "author"
    NAME = "name"  # a work's own name ("the ZeRO paper")
    AGE = "age"  # "the oldest reference"
    YEAR = "year"  # the works of a year it names
    CITED_FOR = "cited_for"  # what the paper cites for a topic
    TITLE = "title"  # the entries whose wording is closest to a topic
    FRONT_MATTER = "front_matter"  # the paper itself
    UNCITED = "uncited"  # a claim check: the sentence asked about cites nothing


@dataclass(frozen=True)
class Statement(Record):
    """A sentence a tool can say. `values` are the parts filled in from data (a row label, a cell, an author,
    a year); each must occur in one of the cited passages, which is how the composer verifies the sentence.
    A `quote` is a passage's own sentence, verified by being in it."""

    text: str
    passage_ids: tuple[str, ...]
    values: tuple[str, ...] = ()
    quote: bool = False
    score: float = 0.0  # relevance to the question, for ordering
    report: bool = False  # reports a finding of the advisor's own (an audit verdict), cites what it was judged on


@dataclass(frozen=True)
class ToolResult(Record):
    tool: str
    arguments: dict
    statements: tuple[Statement, ...] = ()
    passages: tuple[Passage, ...] = field(default=(), metadata={"skip": True})
    summary: str = ""
    strength: float = 0.0  # 0..1: how well the request was resolved (an answerability feature)
    refs: tuple[int, ...] = ()  # the references the result is about
    section: str = ""
    notes: tuple[str, ...] = ()  # remarks about our copy of the corpus, said without a citation
    reading: str = ""  # how the tool read what the request is about (a Reading)

    @property
    def found(self) -> bool:
        return bool(self.statements)

    def to_dict(self) -> dict:
        data = super().to_dict()
        data["passages"] = [{"id": p.id, "text": p.text, "doc": p.doc, "section": p.section} for p in self.passages]
        return data


def returned_passage_ids(result: object) -> tuple[str, ...]:
    """The ids of the passages a tool returned (evidence from a search, or a ToolResult's passages and the
    passages its statements cite): what an answer built on this call may cite."""
    if isinstance(result, ToolResult):
        ids = [p.id for p in result.passages] + [pid for s in result.statements for pid in s.passage_ids]
    elif isinstance(result, list):
        ids = [e.passage.id for e in result if hasattr(e, "passage")]
    else:
        ids = []
    return tuple(dict.fromkeys(ids))


def _normalized(text: str) -> str:
    """Lower case, Table 1's marks kept (✓✓ is not ✓), every other run of punctuation one space."""
    return re.sub(r"[^0-9a-z✓○]+", " ", text.lower()).strip()


def statement_holds(statement: Statement, passages_by_id: dict[str, Passage]) -> bool:
    """Every filled-in value (or the quote itself) is found in a cited passage, and every cited passage exists."""
    cited = [passages_by_id.get(pid) for pid in statement.passage_ids]
    if not cited or any(p is None for p in cited):
        return False
    haystacks = [_normalized(strip_citations(strip_markdown(p.index_text))) for p in cited if p is not None]
    needles = list(statement.values) or ([statement.text.strip("“”")] if statement.quote else [])
    return all(any(_normalized(v) in h for h in haystacks) for v in needles if _normalized(v))
