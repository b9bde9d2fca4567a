"""Core value types shared by every stage."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Passage:
    """A citable span of one corpus file."""

    id: str  # stable across runs: derived from the document, block position and window
    text: str  # exactly file_text[start:end]
    doc: str  # "paper" or "ref-N"
    title: str  # document title
    section: str  # "3", "Abstract", "References", ... for the paper; the source heading for refs
    section_title: str
    kind: str  # paragraph, bullet, table-row, caption, reference, abstract, excerpt, fact
    cites: tuple[int, ...]  # reference numbers cited inside the text
    url: str
    file: str  # path relative to the corpus directory
    start: int
    end: int
    context: str = ""  # heading path, prepended to the text for embedding and BM25
    year: int | None = None

    @property
    def index_text(self) -> str:
        return f"{self.context}\n{self.text}" if self.context else self.text

    def to_dict(self) -> dict:
        data = asdict(self)
        data["cites"] = list(self.cites)
        return data


@dataclass(frozen=True)
class Evidence:
    """A retrieved passage with its fused score and the retrievers that found it."""

    passage: Passage
    score: float
    found_by: tuple[str, ...] = field(default=())  # "dense", "bm25", "citation"
    ranks: dict = field(default_factory=dict, compare=False)

    def to_dict(self) -> dict:
        data = self.passage.to_dict()
        data["score"] = round(self.score, 6)
        data["found_by"] = list(self.found_by)
        return data
