"""The fit model read from the paper: Table 1, Section 4 role definitions, Section 6 archetypes."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..core.cache import OnceCache
from ..core.settings import Settings, get_settings
from ..core.text import sentence_spans, strip_markdown
from ..core.types import Passage
from ..corpus import PAPER_FILE, parse_paper, read_text
from ..index.embeddings import get_embedder
from .clauses import names_doctorate
from .errors import FitModelError
from .lexicon import SKILL_PHRASES
from .matrix import SkillMatrix, parse_table1
from .roles import CONTINUUM_POSITION, ROLE_MENTIONS, ROLES


@dataclass(frozen=True)
class RoleSentence:
    role: str
    text: str
    passage_id: str


@dataclass(frozen=True)
class Archetype:
    name: str
    passage_ids: tuple[str, ...]  # windows of its Section 6 paragraph
    hiring_passage_id: str  # the window that says whom they hire
    role_weights: dict  # role -> share of this archetype's hiring, sums to 1
    lean: float  # 0 = research end, 1 = engineering end of the continuum


# Section 6 paragraphs open with the archetype they describe.
ARCHETYPE_NAMES = [
    (re.compile(r"^Frontier model labs", re.I), "Frontier model labs"),
    (re.compile(r"^Foundation-model platforms", re.I), "Foundation-model platforms (cloud/API providers)"),
    (re.compile(r"agent frameworks and developer tooling", re.I), "Agent-framework and developer-tooling companies"),
    (re.compile(r"^Vertical-AI and SaaS", re.I), "Vertical-AI and SaaS product companies"),
    (re.compile(r"^Big-tech product organi[sz]ations", re.I), "Big-tech product organizations"),
    (re.compile(r"^Enterprise adopters", re.I), "Enterprise adopters (Global 2000)"),
    (re.compile(r"open-source ecosystems and academic labs", re.I), "Open-source ecosystems and academic labs"),
]


def archetype_label(opening: str) -> str | None:
    """The archetype a Section 6 paragraph describes, by its opening words, or None."""
    return next((name for pattern, name in ARCHETYPE_NAMES if pattern.search(opening[:160])), None)


HIRING = re.compile(r"\bhir(?:e|es|ing)\b|\bheadcount\b|\bdemand\b|\bdominate\b", re.I)
_POSITION = re.compile(
    r"\bcent(?:er|re) of (?:gravity|the continuum)\b|\blean(?:s|ing)?\b|\btilts?\b|\bslider\b|"
    r"\bcloser to\b|\bequal measure\b|\bskew",
    re.I,
)
_RESEARCH_WORDS = re.compile(
    r"\bresearch(?:ers?)?\b|\bscien(?:ce|tific|tists?)\b|\bdiscovery\b|\binvent\w*|"
    r"\bmethods?\b|\bablations?\b|\bideas\b",
    re.I,
)
_ENGINEERING_WORDS = re.compile(
    r"\bengineer(?:s|ing)?\b|\bintegrat\w*|\breliab\w*|\bplatforms?\b|\bserving\b|"
    r"\blatency\b|\bgovernance\b|\bplumbing\b|\bcompliance\b|\bship\b|\bLLMOps\b|"
    r"\bproduct\w*\b|\boperate\b|\bcraft\b",
    re.I,
)


def places_archetype(sentence: str) -> bool:
    """A sentence of a Section 6 paragraph that says whom the archetype hires or where it sits on the
    continuum ("Hiring here still leans engineering, but ...")."""
    return bool(HIRING.search(sentence) or _POSITION.search(sentence))


def archetype_role_weights(paragraph: str) -> tuple[dict[str, float], float]:
    """Role shares of an archetype's hiring: roles its paragraph names get 1 each; every role also gets
    up to 0.5 by how close it sits to where the paragraph leans (share of engineering vs research words
    placed on Fig. 1's axis). Returns (weights summing to 1, lean)."""
    text = strip_markdown(paragraph)
    spans = sentence_spans(text)
    # Where it leans is said in the opening sentence and in the sentences about hiring or position.
    telling = " ".join(text[s:e] for i, (s, e) in enumerate(spans) if i == 0 or places_archetype(text[s:e]))
    research = len(_RESEARCH_WORDS.findall(telling))
    engineering = len(_ENGINEERING_WORDS.findall(telling))
    lean = engineering / (research + engineering) if research + engineering else 0.5
    weights = {}
    for role in ROLES:
        named = 1.0 if role_named_in_hiring(text, role) else 0.0
        nearness = 0.5 * math.exp(-(((CONTINUUM_POSITION[role] - lean) / 0.35) ** 2))
        weights[role] = named + nearness
    total = sum(weights.values())
    return {r: round(w / total, 4) for r, w in weights.items()}, round(lean, 4)


def role_named_in_hiring(text: str, role: str) -> bool:
    """The role is named in a sentence about hiring/headcount (not merely mentioned)."""
    return any(ROLE_MENTIONS[role].search(text[s:e]) and HIRING.search(text[s:e]) for s, e in sentence_spans(text))


@dataclass
class FitModel:
    """Everything the engine needs, built once per process from the paper (plus the embedder)."""

    matrix: SkillMatrix
    passages: dict  # id -> Passage (the paper)
    row_passage: dict  # skill id -> table-row Passage
    key_passage: Passage | None
    role_passage: dict  # role -> first window of its Section 4 definition
    role_sentences: list[RoleSentence]
    archetypes: list[Archetype]
    skill_texts: dict  # skill id -> [label, phrases...]
    settings: Settings
    embedder: object
    skill_vectors: np.ndarray = field(repr=False, default=None)  # (n texts, dim)
    skill_owner: np.ndarray = field(repr=False, default=None)  # skill index of each text
    role_vectors: np.ndarray = field(repr=False, default=None)
    citation_ids: list = field(default_factory=list)  # passage id of each Section 3/4 sentence a reason may cite
    citation_sims: np.ndarray = field(repr=False, default=None)  # skills x those sentences
    # per role, +1 when its definition asks for a doctorate, -1 when it says none is needed, 0 when silent
    doctorate: np.ndarray = field(repr=False, default=None)

    @property
    def skill_ids(self) -> list[str]:
        return self.matrix.skill_ids

    def encode(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self.embedder.encode(texts), dtype=np.float32)


def _role_of_label(label: str) -> str | None:
    for role in ROLES:
        if ROLE_MENTIONS[role].search(label) or label.lower().startswith(role.lower()):
            return role
    return None


def role_definition_sentences(passages: Sequence[Passage]) -> tuple[list[RoleSentence], dict[str, Passage]]:
    """Section 4's role bullets, sentence by sentence, and the Section 6 clauses naming whom
    organisations hire for what ("research engineers capable of turning ideas into massive training runs")."""
    sentences: list[RoleSentence] = []
    first: dict[str, Passage] = {}
    for p in passages:
        if p.doc != "paper":
            continue
        if p.section == "4" and p.kind == "bullet":
            role = _role_of_label(p.context.split(" — ", 1)[-1])
            if role is None:
                continue
            first.setdefault(role, p)
            for s, e in sentence_spans(p.text):
                text = strip_markdown(p.text[s:e])
                text = re.sub(r"^[^:]{0,60}\):\s*", "", text)  # drop the bold "Research Scientist (RS):" lead
                if len(text.split()) >= 5 and describes_only(text, role):
                    sentences.append(RoleSentence(role, text, p.id))
        elif p.section == "6" and p.kind == "paragraph":
            for s, e in sentence_spans(p.text):
                sentences.extend(_hiring_clauses(strip_markdown(p.text[s:e]), p.id))
    missing = [r for r in ROLES if r not in first]
    if missing:
        raise FitModelError(f"Section 4 has no definition bullet for {missing}")
    return sentences, first


# Sentences that open with an example or an exception describe the overlap between roles (the paper's
# point), not what sets this role apart: "However, as the continuum blurs, many ML Engineers today also
# experiment ...", "For example, at Meta, a Research Scientist might spend ... time coding".
_ASIDE = re.compile(
    r"^(?:however|but|conversely|for (?:example|instance)|e\.g\.|in many companies|teams often|"
    r"the main difference|\(for instance)\b",
    re.I,
)


def describes_only(sentence: str, role: str) -> bool:
    """The sentence defines this role: it is not an aside and names no other of the four roles."""
    if _ASIDE.search(sentence):
        return False
    return not any(ROLE_MENTIONS[other].search(sentence) for other in ROLES if other != role)


def _hiring_clauses(sentence: str, passage_id: str) -> list[RoleSentence]:
    """Cut a sentence at each role it names; keep the words describing that role."""
    hits = sorted((m.start(), m.end(), role) for role in ROLES for m in ROLE_MENTIONS[role].finditer(sentence))
    out = []
    for i, (s, e, role) in enumerate(hits):
        stop = hits[i + 1][0] if i + 1 < len(hits) else len(sentence)
        tail = re.split(r"[;.]", sentence[e:stop], maxsplit=1)[0]
        tail = re.sub(r"(?:,?\s*(?:and|or|paired with|toward|with)\s*)+$", "", tail.strip(" ,"))
        if len(re.findall(r"[A-Za-z]{3,}", tail)) >= 4:
            out.append(RoleSentence(role, f"{sentence[s:e]} {tail}".strip(), passage_id))
    return out


def section6_archetypes(passages: Sequence[Passage]) -> list[Archetype]:
    paragraphs: dict[str, list[Passage]] = {}
    for p in passages:
        if p.doc == "paper" and p.section == "6" and p.kind == "paragraph":
            paragraphs.setdefault(p.paragraph, []).append(p)
    archetypes = []
    for windows in paragraphs.values():
        opening = strip_markdown(windows[0].text)
        name = archetype_label(opening)
        if name is None:
            continue
        text = " ".join(w.text for w in windows)
        weights, lean = archetype_role_weights(text)
        hiring = next((w.id for w in windows if HIRING.search(w.text)), windows[0].id)
        archetypes.append(Archetype(name, tuple(w.id for w in windows), hiring, weights, lean))
    return archetypes


def build_fit_model(settings: Settings | None = None, embedder=None) -> FitModel:
    settings = settings or get_settings()
    corpus_dir = Path(settings.corpus_dir)
    paper_text = read_text(corpus_dir / PAPER_FILE)
    passages = parse_paper(corpus_dir, settings.window_words)
    by_id = {p.id: p for p in passages}
    matrix = parse_table1(paper_text, settings)
    rows_by_start = {p.start: p for p in passages if p.kind == "table-row"}
    row_passage = {}
    for row in matrix.rows:
        if row.start not in rows_by_start:
            raise FitModelError(f"Table 1 row {row.label!r} has no table-row passage")
        row_passage[row.id] = rows_by_start[row.start]
    key_passage = next((p for p in passages if p.kind == "caption" and p.text.startswith("**Table 1:**")), None)
    role_sentences, role_passage = role_definition_sentences(passages)
    stances = [(ROLES.index(r.role), names_doctorate(r.text)) for r in role_sentences]
    doctorate = np.array([np.mean([v for i, v in stances if i == j and v] or [0.0]) for j in range(len(ROLES))])
    if embedder is None:
        embedder = get_embedder(settings)
    skill_texts = {row.id: [row.label, *SKILL_PHRASES.get(row.id, [])] for row in matrix.rows}
    model = FitModel(
        matrix=matrix,
        passages=by_id,
        row_passage=row_passage,
        key_passage=key_passage,
        role_passage=role_passage,
        role_sentences=role_sentences,
        archetypes=section6_archetypes(passages),
        skill_texts=skill_texts,
        settings=settings,
        embedder=embedder,
        doctorate=doctorate,
    )
    flat = [(i, t) for i, sid in enumerate(matrix.skill_ids) for t in skill_texts[sid]]
    citable = citable_sentences(passages)
    vectors = model.encode([t for _, t in flat] + [r.text for r in role_sentences] + [t for _, t in citable])
    n_skill, n_role = len(flat), len(role_sentences)
    model.skill_vectors = vectors[:n_skill]
    model.skill_owner = np.array([i for i, _ in flat])
    model.role_vectors = vectors[n_skill : n_skill + n_role]
    sentence_sims = vectors[n_skill + n_role :] @ model.skill_vectors.T  # sentences x skill texts
    model.citation_ids = [pid for pid, _ in citable]
    model.citation_sims = np.stack(
        [sentence_sims[:, model.skill_owner == k].max(axis=1) for k in range(len(matrix.rows))]
    )  # skills x sentences
    return model


def citable_sentences(passages: Sequence[Passage]) -> list[tuple[str, str]]:
    """(passage id, sentence) for the Section 3/4 sentences a reason may cite; asides excluded."""
    out = []
    for p in passages:
        if p.doc == "paper" and p.section in ("3", "4") and p.kind in ("bullet", "paragraph"):
            for s, e in sentence_spans(p.text):
                text = re.sub(r"^\*\*[^*]+\*\*\s*", "", p.text[s:e])  # the bold label is not a claim
                text = strip_markdown(text)
                if len(text.split()) >= 6 and not _ASIDE.search(text):
                    out.append((p.id, text))
    return out


_MODELS: OnceCache[FitModel] = OnceCache(maxsize=2)  # the paper or the fit settings changed: a new model


def get_fit_model(settings: Settings | None = None) -> FitModel:
    """The model for these settings, built once per process (rebuilt if paper.md changes)."""
    settings = settings or get_settings()
    paper = Path(settings.corpus_dir) / PAPER_FILE
    stat = paper.stat() if paper.exists() else None
    key = (
        str(paper),
        stat.st_mtime_ns if stat else 0,
        stat.st_size if stat else 0,
        str(settings.embedding.resolved_model_path()),
        settings.window_words,
        settings.fit.model_dump_json(),
    )
    return _MODELS.get(key, lambda: build_fit_model(settings))
