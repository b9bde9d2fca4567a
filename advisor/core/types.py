"""Value types shared by every stage, and the one way they become JSON."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from typing import Any, Protocol


def jsonable(value: Any) -> Any:
    """Dataclasses, enums, tuples and mappings as plain JSON values."""
    if hasattr(value, "to_dict") and not isinstance(value, type):
        return value.to_dict()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _fields_dict(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {str(jsonable(k)): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    return value


def _fields_dict(obj: Any) -> dict:
    """A dataclass's fields as JSON. A field may ask for its float to be rounded (metadata={"round": n}),
    to be left out when empty (metadata={"omit_empty": True}) or never to be written (metadata={"skip": True})."""
    out = {}
    for f in dataclasses.fields(obj):
        if f.metadata.get("skip"):
            continue
        item = getattr(obj, f.name)
        if f.metadata.get("omit_empty") and item in ("", (), None, False, {}):
            continue
        if "round" in f.metadata and isinstance(item, float):
            item = round(item, f.metadata["round"])
        out[f.name] = jsonable(item)
    return out


class Record:
    """Mixin for dataclasses: `to_dict()` writes every field as JSON (see _fields_dict)."""

    def to_dict(self) -> dict:
        return _fields_dict(self)


def rounded(n: int, **kwargs) -> Any:
    """A dataclass field whose float is rounded to n places in JSON."""
    return field(metadata={"round": n}, **kwargs)


class Serializable(Protocol):
    def to_dict(self) -> dict: ...


class PassageKind(StrEnum):
    PARAGRAPH = "paragraph"
    BULLET = "bullet"
    TABLE_ROW = "table-row"
    CAPTION = "caption"
    REFERENCE = "reference"
    ABSTRACT = "abstract"
    EXCERPT = "excerpt"
    FACT = "fact"


# The source's own words ("fact" passages are our paraphrases of a page).
VERBATIM_KINDS = (PassageKind.ABSTRACT, PassageKind.EXCERPT)
BODY_KINDS = (PassageKind.ABSTRACT, PassageKind.EXCERPT, PassageKind.FACT)


class Mode(StrEnum):
    """How an answer was produced."""

    GROUNDED = "grounded"  # a language-model draft survived verification
    EVIDENCE = "evidence"  # composed from quoted evidence sentences
    NOT_COVERED = "not-covered"  # honest refusal; related passages only
    FIT = "fit"  # the role-fit engine answered
    TOOL = "tool"  # composed from structured tool results (Table 1, a reference entry, the citation audit)


class Origin(StrEnum):
    """Where a sentence of an answer comes from."""

    DRAFT = "draft"  # a model sentence that verification kept
    QUOTE = "quote"  # an evidence sentence quoted
    FIT = "fit"  # a role-fit reason
    NOTE = "note"  # a question or remark that asserts nothing
    TOOL = "tool"  # a sentence filled in from a tool's structured result; every filled-in value is in the cited passage


class Verdict(StrEnum):
    """What the citation audit found for one (citing sentence, reference) pair."""

    SUPPORTED = "supported"
    PARTIAL = "partial"
    CONTRADICTED = "contradicted"  # the source (or another passage of the corpus) says otherwise
    NOT_SUPPORTED = "not-supported"
    UNVERIFIABLE = "unverifiable"  # our copy lacks the part of the source that would hold it
    NO_SOURCE_TEXT = "no-source-text"


def paragraph_of(passage_id: str) -> str:
    """The paragraph a passage window belongs to: "paper:7:02.1" -> "paper:7:02"."""
    return passage_id.rsplit(".", 1)[0]


def adjacent_window_ids(passage_id: str) -> tuple[str, ...]:
    """The ids of the windows cut before and after this one from the same paragraph ("paper:5:03.1" ->
    "paper:5:03.0", "paper:5:03.2"); none for a paragraph kept whole."""
    paragraph, dot, window = passage_id.rpartition(".")
    if not dot or not window.isdigit():
        return ()
    return f"{paragraph}.{int(window) - 1}", f"{paragraph}.{int(window) + 1}"


@dataclass(frozen=True)
class Passage(Record):
    """A citable span of one corpus file."""

    id: str  # stable across runs: derived from the document, block position and window
    text: str  # exactly file_text[start:end]
    doc: str  # "paper" or "ref-N"
    title: str  # document title
    section: str  # "3", "Abstract", "References", ... for the paper; the source heading for refs
    section_title: str
    kind: PassageKind
    cites: tuple[int, ...]  # reference numbers cited inside the text
    url: str
    file: str  # path relative to the corpus directory
    start: int
    end: int
    context: str = ""  # heading path, prepended to the text for embedding and BM25
    year: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", PassageKind(self.kind))

    @property
    def index_text(self) -> str:
        return f"{self.context}\n{self.text}" if self.context else self.text

    @property
    def paragraph(self) -> str:
        """The paragraph this passage window belongs to: "paper:7:02.1" -> "paper:7:02" (itself when whole)."""
        return paragraph_of(self.id)

    @property
    def ref(self) -> int | None:
        """The reference number of a source passage; None for the paper."""
        return int(self.doc.split("-", 1)[1]) if self.doc.startswith("ref-") else None

    @classmethod
    def from_dict(cls, data: dict) -> Passage:
        data = dict(data)
        data["cites"] = tuple(data.get("cites") or ())
        return cls(**data)


@dataclass(frozen=True)
class Evidence:
    """A retrieved passage with its fused score and the retrievers that found it."""

    passage: Passage
    score: float
    found_by: tuple[str, ...] = field(default=())  # "dense", "bm25", "citation", "fit"
    ranks: dict = field(default_factory=dict, compare=False)

    def to_dict(self) -> dict:
        return {**self.passage.to_dict(), "score": round(self.score, 6), "found_by": list(self.found_by)}


@dataclass(frozen=True)
class Claim(Record):
    """One sentence of an answer with the citation numbers it carries and how well they support it."""

    text: str
    citations: tuple[int, ...]
    support: float = rounded(4)
    supported: bool = True
    origin: Origin = Origin.DRAFT

    def __post_init__(self) -> None:
        object.__setattr__(self, "origin", Origin(self.origin))


@dataclass(frozen=True)
class Citation:
    """Answer citation [n] -> the retrieved passage it points at (plus the audit verdicts, if any)."""

    n: int
    evidence: Evidence
    audit: tuple[dict, ...] = ()  # verdicts for the paper passage's own citations

    def to_dict(self) -> dict:
        data = {"n": self.n, **self.evidence.to_dict()}
        if self.audit:
            data["audit"] = list(self.audit)
        return data


@dataclass(frozen=True)
class Step(Record):
    """One tool call of the policy that produced an answer (shown by --trace and under a chat answer)."""

    tool: str
    arguments: dict
    result: str  # a one-line summary of what the tool returned
    ms: float = rounded(1)
    passages: tuple[str, ...] = ()  # ids of the passages the tool returned: all an answer may cite


@dataclass(frozen=True)
class Answer(Record):
    """The verified answer."""

    question: str
    answer: str  # text with [n] markers
    citations: tuple[Citation, ...]
    claims: tuple[Claim, ...]
    grounded: bool
    backend: str
    mode: Mode
    standalone_question: str = ""
    notices: tuple[str, ...] = ()
    related: tuple[Evidence, ...] = ()
    draft: str = ""
    fit: Serializable | None = None  # the role-fit result when mode is "fit"
    steps: tuple[Step, ...] = ()
    intent: str = ""  # the planner's reading of the question
    policy: str = ""  # which policy planned the answer ("offline", "agent")
    timings: dict = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "mode", Mode(self.mode))

    def to_dict(self) -> dict:
        data = _fields_dict(self)
        data["timings"] = {k: round(v, 4) for k, v in self.timings.items()}
        return data
