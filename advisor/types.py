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


@dataclass(frozen=True)
class Claim:
    """One sentence of an answer with the citation numbers it carries and how well they support it."""

    text: str
    citations: tuple[int, ...]
    support: float  # 0..1
    supported: bool
    origin: str = "draft"  # "draft" (LLM sentence kept), "quote" (evidence sentence quoted), "note"

    def to_dict(self) -> dict:
        return {"text": self.text, "citations": list(self.citations), "support": round(self.support, 4),
                "supported": self.supported, "origin": self.origin}


@dataclass(frozen=True)
class Citation:
    """Answer citation [n] -> the retrieved passage it points at (plus the audit verdict, if any)."""

    n: int
    evidence: Evidence
    audit: tuple[dict, ...] = ()  # verdicts for the paper passage's own citations (audit issue)

    def to_dict(self) -> dict:
        data = {"n": self.n, **self.evidence.to_dict()}
        if self.audit:
            data["audit"] = list(self.audit)
        return data


@dataclass(frozen=True)
class Answer:
    """The verified answer. mode: "grounded" (LLM draft survived verification), "evidence" (composed
    from evidence sentences), "not-covered" (honest refusal; related passages only), "fit" (role fit)."""

    question: str
    answer: str  # text with [n] markers
    citations: tuple[Citation, ...]
    claims: tuple[Claim, ...]
    grounded: bool
    backend: str
    mode: str
    standalone_question: str = ""
    notices: tuple[str, ...] = ()
    related: tuple[Evidence, ...] = ()
    draft: str = ""
    fit: dict | None = None
    timings: dict = field(default_factory=dict, compare=False)

    def to_dict(self) -> dict:
        return {
            "question": self.question, "answer": self.answer,
            "citations": [c.to_dict() for c in self.citations],
            "claims": [c.to_dict() for c in self.claims],
            "grounded": self.grounded, "backend": self.backend, "mode": self.mode,
            "standalone_question": self.standalone_question, "notices": list(self.notices),
            "related": [e.to_dict() for e in self.related], "draft": self.draft, "fit": self.fit,
            "timings": {k: round(v, 4) for k, v in self.timings.items()},
        }
