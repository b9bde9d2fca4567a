"""Role fit: which of the paper's four roles fits a person, with the reasoning shown and cited.

The model is read from corpus/paper.md, not written into code:

- Table 1 (Section 6) becomes a skill x role matrix of involvement levels. The key's symbols get
  numeric levels (settings.fit_level_*: ✓✓ = 1.0, ✓ = 0.6, ○/✓ = 0.35, ○ = 0.15) and a cell's note in
  parentheses nudges it by settings.fit_annotation_shift: up for "primary"/"extensive", down for
  "some"/"rare"/"support role"/"know basics"... The note is kept verbatim for the explanation.
- Each skill (a Table 1 row) is described by its row label plus a few short phrases in the paper's own
  vocabulary, and cites its best Section 3/4 passage.
- Each role is described by the sentences of its Section 4 definition and the Section 6 clauses that say
  whom organisations hire for what ("research scientists who can originate methods ...").
- Section 6's organisation archetypes get role weights from the roles their paragraphs name, plus where
  the paragraph leans on the research-engineering axis (Fig. 1 orders the roles RS, RE, AS, MLE).

A profile becomes per-skill evidence: every clause is compared (MiniLM cosine) with each skill's
descriptions and matched against cue phrases; a negated clause ("I don't want to publish", "hate
on-call") counts against the skill. Quiz answers (0-4 per skill) replace the text estimate.

Score of a role = Table 1 channel + weight x role-description channel:
- Table 1 channel: sum over skills of (person's signed evidence) x (role level minus the mean level of
  the four roles for that skill), divided by the total evidence. Centering matters because the roles share
  most skills (the paper's point); only what sets a role apart can separate them. Each term is a reason.
- role-description channel: how much closer the person's clauses (and the list items inside them) are to
  this role's closest Section 4/6 sentence than to the average role's, weighted by how much skill signal
  each carries. It separates roles Table 1 scores alike (RE and MLE share most ✓✓ cells).
Raw scores go through a softmax (settings.fit_temperature, fitted by log loss on the persona sets) to give
the shares reported as "score"; the margin is the top-two share gap. Confidence also falls with weak
evidence and with a profile that does not look like English (MiniLM and the cues are English-only).
"""

from __future__ import annotations

import math
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import numpy as np

from .corpus import PAPER_FILE, TABLE_ROLES, parse_paper, read_text
from .settings import Settings, get_settings
from .text import sentence_spans, strip_markdown
from .types import Passage

ROLES: tuple[str, ...] = TABLE_ROLES
# Fig. 1: "a spectrum — from novel method creation to production integration": RS, RE, AS, MLE.
CONTINUUM_POSITION = {"Research Scientist": 0.0, "Research Engineer": 1 / 3, "Applied Scientist": 2 / 3,
                      "ML Engineer": 1.0}
# How the paper names each role in running text (abbreviations only in capitals: "AS" but not "as").
ROLE_MENTIONS = {
    "Research Scientist": re.compile(r"(?i:\bresearch scientists?\b)|\bRSs?\b"),
    "Research Engineer": re.compile(r"(?i:\bresearch engineers?\b)|\bREs?\b"),
    "Applied Scientist": re.compile(r"(?i:\bapplied (?:scientists?|research(?:ers?)?)\b)|\bASs?\b"),
    "ML Engineer": re.compile(r"(?i:\b(?:machine learning|(?:product-oriented |data/)?ML(?:/platform)?) engineers?\b)"
                              r"|\bMLEs?\b"),
}
QUIZ_MAX = 4  # quiz answers run 0 (not at all) .. 4 (core of my work)


class FitModelError(ValueError):
    """The paper does not contain the model the fit engine needs (Table 1, Section 4 roles...)."""


class FitInputError(ValueError):
    """A quiz answer or profile the engine cannot use as given; the message says what to fix."""


# ---------------------------------------------------------------- Table 1 -> matrix


@dataclass(frozen=True)
class Cell:
    """One Table 1 cell: the key symbol, the note in parentheses, and the numeric level we give it."""

    symbol: str  # "✓✓", "✓", "○/✓", "○"
    note: str  # "primary", "often delegated", ... ("" if none)
    level: float

    @property
    def text(self) -> str:
        return f"{self.symbol} ({self.note})" if self.note else self.symbol


@dataclass(frozen=True)
class SkillRow:
    id: str  # short key used by the quiz and the JSON, e.g. "publication"
    label: str  # the row label as printed in Table 1
    cells: dict  # role -> Cell
    start: int  # span of the row in paper.md (the table-row passage has the same span)
    end: int


@dataclass(frozen=True)
class SkillMatrix:
    rows: tuple[SkillRow, ...]
    roles: tuple[str, ...] = ROLES
    key: str = ""  # the Table 1 caption with the symbol key

    @property
    def skill_ids(self) -> list[str]:
        return [r.id for r in self.rows]

    def row(self, skill_id: str) -> SkillRow:
        for r in self.rows:
            if r.id == skill_id:
                return r
        raise KeyError(skill_id)

    def levels(self) -> np.ndarray:
        """roles x skills matrix of involvement levels."""
        return np.array([[row.cells[role].level for row in self.rows] for role in self.roles], dtype=float)

    def distinctiveness(self) -> np.ndarray:
        """roles x skills: a role's level minus the mean of the four roles for that skill. What all roles
        do alike cannot tell them apart, so only the difference enters the score."""
        levels = self.levels()
        return levels - levels.mean(axis=0, keepdims=True)


# Short ids for the quiz and JSON. A row the paper adds later still works (id = slug of its label).
SKILL_IDS = {
    "Propose novel ML algorithms": "algorithms",
    "Implement models & experiments": "implementation",
    "Scalable distributed training": "distributed_training",
    "Code optimization (performance)": "optimization",
    "Data pipeline & processing": "data_pipelines",
    "Experiment design & analysis": "experiments",
    "Software engineering best practices": "software_engineering",
    "Publication & research community": "publication",
    "Product integration & deployment": "deployment",
}

_CELL = re.compile(r"^(✓✓|○/✓|✓/○|✓|○)\s*(?:\((?P<note>[^)]*)\))?$")
# Notes that say the cell is stronger or weaker than its symbol alone ("✓ (primary)" vs "✓ (some)").
_NOTE_UP = re.compile(r"\b(?:primary|extensive)\b", re.I)
_NOTE_DOWN = re.compile(r"\b(?:some|basics?|support role|delegated|occasionally|rare|sometimes)\b", re.I)


def skill_id_for(label: str) -> str:
    return SKILL_IDS.get(label) or re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")


def symbol_levels(settings: Settings) -> dict[str, float]:
    return {"✓✓": settings.fit_level_core, "✓": settings.fit_level_frequent, "○/✓": settings.fit_level_mixed,
            "✓/○": settings.fit_level_mixed, "○": settings.fit_level_minimal}


def parse_cell(raw: str, levels: Mapping[str, float], shift: float) -> Cell:
    match = _CELL.match(raw.strip())
    if not match:
        raise FitModelError(f"Table 1 cell {raw!r} does not use the key's symbols (✓✓, ✓, ○/✓, ○)")
    symbol, note = match.group(1), (match.group("note") or "").strip()
    level = levels[symbol]
    if _NOTE_UP.search(note):
        level += shift
    elif _NOTE_DOWN.search(note):
        level -= shift
    return Cell(symbol, note, round(min(1.0, max(0.0, level)), 4))


def parse_table1(paper_text: str, settings: Settings | None = None) -> SkillMatrix:
    """Table 1 of paper.md (the pipe table whose header starts "| Skill/Responsibility") as a matrix."""
    settings = settings or get_settings()
    levels = symbol_levels(settings)
    rows: list[SkillRow] = []
    header: list[str] | None = None
    pos = 0
    for line in paper_text.split("\n"):
        start, pos = pos, pos + len(line) + 1
        stripped = line.strip()
        if header is None:
            if stripped.startswith("| Skill/Responsibility"):
                header = [c.strip() for c in stripped.strip("|").split("|")]
                if tuple(header[1:]) != ROLES:
                    raise FitModelError(f"Table 1 header names {header[1:]}, expected {list(ROLES)}")
            continue
        if not stripped.startswith("|"):
            if rows:
                break  # the table ended
            continue
        if re.fullmatch(r"\|(\s*:?-+:?\s*\|)+", stripped):
            continue
        cells = [c.strip() for c in stripped.strip("|").split("|")]
        if len(cells) != len(header):
            raise FitModelError(f"Table 1 row {stripped[:60]!r} has {len(cells)} cells, expected {len(header)}")
        lead = len(line) - len(line.lstrip())
        rows.append(SkillRow(skill_id_for(cells[0]), cells[0],
                             {role: parse_cell(c, levels, settings.fit_annotation_shift)
                              for role, c in zip(ROLES, cells[1:])},
                             start + lead, start + len(line)))
    if header is None or not rows:
        raise FitModelError(f"{PAPER_FILE}: Table 1 ('| Skill/Responsibility | ...') not found")
    key = re.search(r"^\*\*Table 1:\*\*.*$", paper_text, re.M)
    return SkillMatrix(tuple(rows), ROLES, key.group(0) if key else "")


# ---------------------------------------------------------------- skill vocabulary

# Short descriptions in the paper's vocabulary (Sections 3-4), embedded next to the Table 1 label: a
# first-person sentence is far closer to "publish papers at top conferences" than to a 40-word
# paragraph about Anthropic's author lists.
SKILL_PHRASES = {
    "algorithms": ["propose novel machine learning algorithms", "originate new methods and research ideas",
                   "design novel neural network architectures", "pioneer fundamental research questions and theory"],
    "implementation": ["implement models and experiments in code", "turn paper ideas into running code",
                       "prototype and build models", "write and debug machine learning code"],
    "distributed_training": ["large-scale distributed training across many GPUs",
                             "set up massive training runs on clusters", "data and model parallel training",
                             "scale up training of large models"],
    "optimization": ["optimize code performance and throughput", "low-latency inference optimization",
                     "GPU programming and memory optimization", "make models run faster and cheaper"],
    "data_pipelines": ["build data pipelines and data processing", "manage large-scale datasets and preprocessing",
                       "feed data efficiently into training", "data quality, ingestion and ETL"],
    "experiments": ["design experiments and analyze results", "rigorous evaluation schemes and ablations",
                    "A/B testing and business metrics", "choose metrics and run evaluations"],
    "software_engineering": ["software engineering best practices",
                             "clean, tested, maintainable production-quality code",
                             "manage codebases with code review and CI/CD", "build reliable software tools"],
    "publication": ["publish papers at top conferences", "a strong publication record in the research community",
                    "write research papers", "academic research and peer review"],
    "deployment": ["deploy models into products in production", "serve models as reliable services",
                   "monitor models in production", "integrate models into larger systems and applications",
                   "deliver customer-facing business impact"],
}

# Cue phrases: (pattern, strong). A strong cue means the clause is plainly about the skill; a weak one
# (a generic word like "data" or "product") only hints. Drawn from the words Sections 3-4 use.
_S, _W = True, False
SKILL_CUES: dict[str, list[tuple[str, bool]]] = {
    "algorithms": [
        (r"\bnovel (?:\w+ ){0,2}(?:methods?|algorithms?|architectures?|approach(?:es)?|ideas?|models?)", _S),
        (r"\binvent(?:s|ing|ed)?\b", _S), (r"\boriginat(?:e|es|ing)\b", _S),
        (r"\bnew (?:\w+ ){0,2}(?:methods?|algorithms?|architectures?|modell?ing approach(?:es)?)\b", _S),
        (r"\balgorithm(?:ic)? design\b", _S), (r"\bfundamental research\b", _S),
        (r"\bresearch (?:agendas?|directions?|questions?)\b", _S), (r"\bpioneer", _S),
        (r"\btheor(?:y|etical)\b", _S), (r"\b(?:convergence|proofs?|theorems?|derivations?)\b", _S),
        (r"\bopen (?:research )?(?:questions?|problems?)\b", _S),
        (r"\b(?:come up with|devise|decide on|choose) (?:the |a |an |new |my own |our own )?(?:modell?ing )?"
         r"(?:approach(?:es)?|methods?|solutions?|ideas?)\b", _S),
        (r"\balgorithms?\b", _W), (r"\bresearch\b", _W),
        (r"\bideas?\b", _W), (r"\bbreakthroughs?\b", _W),
    ],
    "implementation": [
        (r"\bimplement(?:s|ing|ed|ation|ations)?\b", _S), (r"\bprototyp", _S), (r"\brunning code\b", _S),
        (r"\breproduc(?:e|es|ing) (?:\w+ )?papers?\b", _S), (r"\bcod(?:e|es|ing)\b", _W),
        (r"\bhands-on\b", _W), (r"\bbuild(?:ing)? (?:the )?models?\b", _W),
        (r"\b(?:pytorch|jax|tensorflow)\b", _W),
    ],
    "distributed_training": [
        (r"\bdistributed\b", _S), (r"\bmulti-?(?:gpu|node)\b", _S), (r"\b(?:gpus|tpus|accelerators)\b", _S),
        (r"\b(?:large-scale|massive|giant|big) (?:\w+ )?training\b", _S),
        (r"\btraining (?:runs?|jobs?|infrastructure|clusters?)\b", _S), (r"\bparallelism\b", _S),
        (r"\b(?:data|model|pipeline|tensor)[- ]parallel", _S), (r"\bpre-?train(?:ing)?\b", _S),
        (r"\bscal(?:e|es|ing) (?:up )?(?:the )?training\b", _S), (r"\bclusters?\b", _W),
        (r"\bscal(?:e|es|ing|able)\b", _W), (r"\blarge models?\b", _W),
    ],
    "optimization": [
        (r"\blow[- ]latency\b", _S), (r"\blatency\b", _S), (r"\bthroughput\b", _S), (r"\bcuda\b", _S),
        (r"\bkernels?\b", _S), (r"\bprofil(?:e|es|ing)\b", _S), (r"\bquantiz", _S), (r"\bdistill", _S),
        (r"\binference (?:optimi|speed|performance|cost)", _S), (r"\bmixed[- ]precision\b", _S),
        (r"\bmemory (?:optimi|management|efficien)", _S),
        (r"\boptimi[sz](?:e|es|ing|ation) (?:\w+ ){0,2}(?:code|performance|inference|runtime|speed|kernels?)\b", _S),
        (r"\bperformance\b", _W), (r"\bfast(?:er)?\b", _W), (r"\bc\+\+", _W), (r"\bspeed(?:ing)? up\b", _W),
        (r"\befficien(?:t|cy)\b", _W), (r"\bcompress", _W), (r"\boptimi[sz]", _W),
    ],
    "data_pipelines": [
        (r"\bdata ?pipelines?\b", _S), (r"\betl\b", _S),
        (r"\bdata (?:processing|engineering|ingestion|quality|cleaning|curation|preprocessing|handling)\b", _S),
        (r"\bpre-?processing\b", _S), (r"\bfeature (?:stores?|pipelines?|engineering)\b", _S),
        (r"\b(?:spark|beam|airflow|kafka|hadoop)\b", _S), (r"\bpipelines?\b", _W),
    ],
    "experiments": [
        (r"\bexperiment(?:s|al)? design\b", _S), (r"\bdesign(?:ing)? (?:\w+ )?experiments?\b", _S),
        (r"\bablations?\b", _S), (r"\ba/?b[- ]test", _S),
        (r"\bevaluation (?:schemes?|methodolog\w*|suites?|protocols?|design)\b", _S),
        (r"\b(?:business|customer|product|user) (?:metrics|impact|kpis?|outcomes?)\b", _S),
        (r"\bstatistic(?:s|al)\b", _S), (r"\bhypothes[ie]s\b", _S),
        (r"\bonline experiments?\b", _S), (r"\b(?:conversion|click-?through|engagement|retention)\b", _S),
        (r"\b(?:up)?lift\b", _W),
        (r"\bexperiment(?:s|ing|ation)?\b", _W), (r"\bevaluat(?:e|es|ion|ions|ing)\b", _W),
        (r"\banaly[sz](?:e|es|is|ing)\b", _W), (r"\bbenchmarks?\b", _W), (r"\bmeasur(?:e|es|ing)\b", _W),
        (r"\bmetrics?\b", _W),
    ],
    "software_engineering": [
        (r"\bsoftware engineering\b", _S), (r"\bbest practices\b", _S), (r"\bclean(?:,)? (?:\w+ )?code\b", _S),
        (r"\bcode (?:quality|reviews?)\b", _S), (r"\bunit tests?\b", _S), (r"\b(?:well-)?tested\b", _S),
        (r"\bci/?cd\b", _S), (r"\bcontinuous (?:integration|delivery)\b", _S), (r"\bmaintainab", _S),
        (r"\bcodebases?\b", _S), (r"\brefactor", _S), (r"\bproduction-quality\b", _S),
        (r"\bversion control\b", _S), (r"\bsoftware\b", _W), (r"(?<!a/b )(?<!a/b-)\btest(?:s|ing)?\b", _W),
        (r"\btooling\b", _W), (r"\blibrar(?:y|ies)\b", _W),
    ],
    "publication": [
        (r"\bpublish", _S), (r"\bpublications?\b", _S), (r"\bconferences?\b", _S),
        (r"\b(?:neurips|nips|icml|iclr|acl|emnlp|cvpr|iccv|eccv|aaai|naacl|kdd)\b", _S),
        (r"\bco-?author", _S), (r"\bacadem(?:ic|ia)\b", _S),
        (r"\bresearch community\b", _S), (r"\bpeer[- ]review", _S), (r"\bjournals?\b", _S),
        (r"\bpapers?\b", _W), (r"\bliterature\b", _W), (r"\barxiv\b", _W),
        (r"\bwrit(?:e|es|ing) (?:\w+ ){0,2}up\b", _W),
    ],
    "deployment": [
        (r"\bdeploy", _S), (r"\b(?:in|into|to) production\b", _S), (r"\bserv(?:e|es|ing) (?:\w+ ){0,2}models?\b", _S),
        (r"\bmodel serving\b", _S), (r"\bon-?call\b", _S), (r"\bmonitor", _S), (r"\b(?:ml|llm) ?ops\b", _S),
        (r"\bship(?:s|ping|ped)?\b", _S), (r"\bcustomer-facing\b", _S), (r"\bslas?\b", _S),
        (r"\buptime\b", _S), (r"\b(?:kubernetes|k8s|docker)\b", _S), (r"\bproduction\b", _W),
        (r"\bproducts?\b", _W), (r"\bcustomers?\b", _W), (r"\busers?\b", _W), (r"\bservices?\b", _W),
        (r"\bapis?\b", _W), (r"\bintegrat(?:e|es|ing|ion)\b", _W), (r"\blaunch", _W),
        (r"\breliab(?:le|ility)\b", _W), (r"\bbusiness impact\b", _W),
    ],
}
_COMPILED_CUES = {sid: [(re.compile(p, re.I), strong) for p, strong in cues] for sid, cues in SKILL_CUES.items()}


# ---------------------------------------------------------------- profile -> clauses


@dataclass(frozen=True)
class Clause:
    """A stretch of the profile that states one attitude: positive (wants/has) or negative (avoids)."""

    text: str
    sentence: str  # the whole sentence it came from (reported as the evidence)
    start: int  # offsets of the sentence in the profile text
    end: int
    negative: bool = False
    hedged: bool = False  # "a bit", "occasionally", "I don't mind": counts half

    @property
    def fragments(self) -> list[str]:
        return list_fragments(self.text)


# A negator opens a negative scope (see _polarised): "I want X without Y" is positive about X and negative
# about Y; "I don't want to publish" is negative throughout.
_NEGATOR = re.compile(
    r"\b(?:not|no|never|none|nor|neither|don'?t|doesn'?t|didn'?t|won'?t|wouldn'?t|can'?t|cannot|isn'?t|"
    r"aren'?t|hate[sd]?|hating|dislike[sd]?|avoid(?:s|ing)?|without|tired of|bored|bores?|boring|"
    r"fed up|dread(?:s|ing)?|uninterested|allergic|rather than|instead of|as opposed to|less|"
    # handing work to someone else is not wanting to do it: "I'd hand the implementation off to engineers"
    r"hand(?:s|ing|ed)? (?:\w+ ){0,3}off|delegat(?:e|es|ing)|offload(?:s|ing)?|outsourc(?:e|es|ing)|"
    r"leav(?:e|es|ing) (?:\w+ ){0,3}to (?:others|someone else|engineers|the \w+ team)|"
    # a verdict after the thing judged: "shipping product features sounds dull to me"
    r"dull|tedious|draining|unappealing|uninteresting|unexciting|miserable|soul-crushing)\b", re.I)
# Phrases that contain a negator but are not negative.
_NOT_NEGATION = re.compile(r"\b(?:not only|no matter|no doubt|can'?t wait|never mind|"
                           r"(?:don'?t|do not|wouldn'?t|would not) mind)\b", re.I)
_HEDGE = re.compile(r"\b(?:a bit|a little|somewhat|occasionally|sometimes|some|okay with|ok with|fine with|"
                    r"now and then|from time to time|once in a while|(?:the |an )?occasional|"
                    r"(?:don'?t|do not|wouldn'?t|would not) mind|if needed|when needed)\b", re.I)
# Where one attitude ends and another may start.
_CLAUSE_BREAK = re.compile(
    r"\s*(?:;|:|\s-\s|\s–\s|\s—\s|\bbut\b|\bhowever\b|\bwhereas\b|\balthough\b|\bthough\b|\byet\b|"
    r",\s*(?=(?:and |so |while )?(?:I|I'm|I'd|I've|I'll|my|me|we)\b))\s*", re.I)


_LIST_SEPARATOR = re.compile(r",\s*|\s+(?:and|or|as well as|plus|along with)\s+", re.I)


def list_fragments(clause: str) -> list[str]:
    """A clause cut at list commas and "and"/"or" ("design experiments, train models on large datasets and
    deploy them"), each piece with at least two content words: a short piece matches one skill sharply,
    where the whole clause matches several faintly."""
    pieces = [p.strip() for p in _LIST_SEPARATOR.split(clause) if p and p.strip()]
    merged: list[str] = []
    for piece in pieces:
        if merged and (len(_content_words(merged[-1])) < 2 or len(_content_words(piece)) < 2):
            merged[-1] = f"{merged[-1]}, {piece}"
        else:
            merged.append(piece)
    return merged or [clause]


def _normalise_apostrophes(text: str) -> str:
    return text.replace("’", "'").replace("‘", "'")


def profile_sentences(profile: str) -> list[tuple[int, int]]:
    """Sentence spans of a profile; every line is its own unit too (CVs are lists, not prose)."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for line in profile.split("\n"):
        start, pos = pos, pos + len(line) + 1
        body = line.strip()
        if not body:
            continue
        bullet = re.match(r"^\s*(?:[-*•·▪]|\d+[.)])\s+", line)
        offset = start + (bullet.end() if bullet else len(line) - len(line.lstrip()))
        spans.extend(sentence_spans(profile[offset:start + len(line)], offset=offset))
    return spans


def split_clauses(profile: str) -> list[Clause]:
    profile = _normalise_apostrophes(profile)
    clauses: list[Clause] = []
    for s, e in profile_sentences(profile):
        sentence = profile[s:e]
        label = _NEGATIVE_LABEL.match(sentence)
        if label:  # "Dislikes: on-call rotations, latency budgets": everything after the label is disliked
            body = sentence[label.end():]
            parts = [p for p in _CLAUSE_BREAK.split(body) if p and re.search(r"[^\W\d_]", p)]
            clauses.extend(Clause(p.strip(), sentence, s, e, True, bool(_HEDGE.search(p))) for p in parts)
            continue
        for part in _CLAUSE_BREAK.split(sentence):
            if part and len(part.split()) >= 1 and re.search(r"[^\W\d_]", part):
                clauses.extend(_polarised(part.strip(), sentence, s, e))
    return clauses


# A list introduced by a negative label ("Dislikes:", "Not for me:", "Avoid:") is negative as a whole.
_NEGATIVE_LABEL = re.compile(r"\s*(?:dislikes?|don'?t like|do not like|not for me|not interested in|hate|hates|avoid|"
                             r"cons|less of|turn-?offs?|deal-?breakers?|no thanks)\s*[:\-–—]\s*", re.I)


def _polarised(part: str, sentence: str, s: int, e: int) -> list[Clause]:
    """Split a clause where its negative scope starts and ends: words before the negator stay positive,
    the negated stretch runs through coordinated items ("don't want to publish papers or invent
    algorithms") and stops where a new predicate starts ("without crashing, and who turns sketches into
    code"). "I'd rather X than Y" negates Y at half weight (a preference, not an aversion). A negator with
    nothing after it ("on-call is not for me", "papers bore me") negates the whole clause."""
    masked = _NOT_NEGATION.sub(lambda m: "_" * len(m.group(0)), part)
    hedged = bool(_HEDGE.search(part))
    comparison = _PREFERENCE.search(masked)
    neg = _NEGATOR.search(masked)
    if comparison and (not neg or comparison.start("than") <= neg.start()):
        cut, soft = comparison.start("than"), True
    elif neg:
        cut, soft = neg.start(), bool(re.match(r"(?i)rather than|instead of|as opposed to|less", masked[neg.start():]))
    else:
        return [Clause(part, sentence, s, e, False, hedged)]
    before, after = part[:cut].strip(" ,"), part[cut:]
    if not _content_words(after):
        return [Clause(part, sentence, s, e, True, hedged)]
    end = _negation_scope_end(after)
    negated, rest = after[:end].strip(" ,"), _LIST_SEPARATOR.sub(" ", after[end:], count=1).strip(" ,")
    out = []
    if len(_content_words(before)) >= 2:
        out.append(Clause(before, sentence, s, e, False, bool(_HEDGE.search(before))))
    # "not pure research", "not only papers": what is rejected is exclusivity, not the thing itself.
    soft = soft or bool(_EXCLUSIVE.search(negated))
    out.append(Clause(negated, sentence, s, e, True, soft or bool(_HEDGE.search(negated))))
    if _content_words(rest):
        out.extend(_polarised(rest, sentence, s, e))
    return out


_NEW_PREDICATE = re.compile(r"(?:(?:and|but|or)\s+)?(?:who|which|that|i|i'm|i'd|i've|we|my|then|also|so|yet)\b",
                            re.I)


def _negation_scope_end(negated: str) -> int:
    for boundary in _LIST_SEPARATOR.finditer(negated):
        if _NEW_PREDICATE.match(negated[boundary.end():]):
            return boundary.start()
    return len(negated)


_EXCLUSIVE = re.compile(r"\b(?:pure(?:ly)?|only|just|exclusively|solely|full[- ]time)\b", re.I)
_PREFERENCE = re.compile(r"\b(?:rather|prefer(?:s|red)?|more)\b.*?\b(?P<than>than)\b", re.I)
_FILLER = set("""i i'm i'd i've me my mine we our you it its is are am was be been being do does did not no
never nor neither don't doesn't didn't won't wouldn't can't cannot isn't aren't for to of the a an and or
really at all much very thing things cup tea that this just so too either any interested interest want like
bore bores bored boring hate hates hated dislike dislikes avoid without tired fed up dread allergic rather
than instead as opposed less motivate motivates motivating excite excites exciting appeal appeals
appealing attract attracts inspire inspires thrill thrills suit suits energize energizes fun my thing
sound sounds seem seems feel feels pretty dull tedious draining unappealing uninteresting unexciting miserable
soul-crushing""".split())
# "X don't motivate me" / "X doesn't excite me": a negator followed only by a verb of appeal negates X too.


def _content_words(text: str) -> list[str]:
    return [w for w in re.findall(r"[^\W\d_]+(?:'[a-z]+)?", text.lower()) if w not in _FILLER and len(w) > 1]


def cue_relevance(clause: str, skill_id: str, strong: float, weak: float) -> float:
    best = 0.0
    for pattern, is_strong in _COMPILED_CUES.get(skill_id, ()):
        if pattern.search(clause):
            best = max(best, strong if is_strong else weak)
            if is_strong:
                break
    return best


_ENGLISH = set("""the and to of a i in is it my for on with want like am be that this have as at or not but me love
work would do an are was from enjoy into build models research like want prefer more less than what so some
i'm i'd i've we our they their about can will should very much also""".split())


def english_share(text: str) -> float:
    """Share of the words that are common English words; near 0 for another language."""
    words = re.findall(r"[^\W\d_]+(?:'[a-z]+)?", text.lower())
    if not words:
        return 0.0
    return sum(1 for w in words if w in _ENGLISH) / len(words)


def looks_english(text: str) -> bool:
    words = re.findall(r"[^\W\d_]+", text)
    if len(words) < 4:
        return all(w.isascii() for w in words)
    non_ascii = sum(1 for w in words if not w.isascii()) / len(words)
    return english_share(text) >= 0.12 and non_ascii < 0.25


# ---------------------------------------------------------------- fit is the question?

_FIT_QUESTION = [re.compile(p, re.I) for p in (
    r"\b(?:which|what) (?:\w+ ){0,3}(?:roles?|jobs?|careers?|paths?|tracks?|titles?|positions?|one)\b"
    r"(?: \w+){0,5} (?:fits?|suits?|matches|is (?:right|best|better|good) for|should i)\b",
    r"\b(?:fits?|suits?|match(?:es)?) (?:me|my|someone|a person)\b",
    r"\b(?:should|could|would|can) i (?:\w+ )?(?:be|become|go for|pursue|apply|switch|move|aim|choose|pick|"
    r"try|transition|consider)\b.*\b(?:role|scientist|engineer|research|career|job|track|path)",
    r"\bam i (?:\w+ ){0,2}(?:fit|suited|match|cut out|more (?:of )?(?:a|an)|better as|a better)\b",
    r"\b(?:right|best|good|better) (?:role|fit|career|job|path|track) for me\b",
    r"\bmy (?:profile|cv|resume|résumé|background|skills?|experience)\b.*\b(?:role|fit|suit|scientist|engineer)",
    r"\brole[- ]fit\b|\bfit quiz\b|\bcareer (?:advice|fit) for me\b",
    r"\b(?:i am|i'm|im) (?:\w+ ){0,8}(?:which|what) role\b",
)]


def is_fit_question(text: str) -> bool:
    """True for a personal role-fit question ("which role fits me?", "should I be an applied scientist?"),
    False for questions about the roles themselves ("do research engineers need a PhD?")."""
    text = _normalise_apostrophes(text or "")
    return any(p.search(text) for p in _FIT_QUESTION)


# ---------------------------------------------------------------- the model built from the paper


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
_HIRING = re.compile(r"\bhir(?:e|es|ing)\b|\bheadcount\b|\bdemand\b|\bdominate\b", re.I)
_POSITION = re.compile(r"\bcent(?:er|re) of (?:gravity|the continuum)\b|\blean(?:s|ing)?\b|\btilts?\b|\bslider\b|"
                       r"\bcloser to\b|\bequal measure\b|\bskew", re.I)
_RESEARCH_WORDS = re.compile(r"\bresearch(?:ers?)?\b|\bscien(?:ce|tific|tists?)\b|\bdiscovery\b|\binvent\w*|"
                             r"\bmethods?\b|\bablations?\b|\bideas\b", re.I)
_ENGINEERING_WORDS = re.compile(r"\bengineer(?:s|ing)?\b|\bintegrat\w*|\breliab\w*|\bplatforms?\b|\bserving\b|"
                                r"\blatency\b|\bgovernance\b|\bplumbing\b|\bcompliance\b|\bship\b|\bLLMOps\b|"
                                r"\bproduct\w*\b|\boperate\b|\bcraft\b", re.I)


def archetype_role_weights(paragraph: str) -> tuple[dict[str, float], float]:
    """Role shares of an archetype's hiring: roles its paragraph names get 1 each; every role also gets
    up to 0.5 by how close it sits to where the paragraph leans (share of engineering vs research words
    placed on Fig. 1's axis). Returns (weights summing to 1, lean)."""
    text = strip_markdown(paragraph)
    spans = sentence_spans(text)
    # Where it leans is said in the opening sentence and in the sentences about hiring or position.
    telling = " ".join(text[s:e] for i, (s, e) in enumerate(spans)
                       if i == 0 or _HIRING.search(text[s:e]) or _POSITION.search(text[s:e]))
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
    return any(ROLE_MENTIONS[role].search(text[s:e]) and _HIRING.search(text[s:e]) for s, e in sentence_spans(text))


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
_ASIDE = re.compile(r"^(?:however|but|conversely|for (?:example|instance)|e\.g\.|in many companies|teams often|"
                    r"the main difference|\(for instance)\b", re.I)


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


def _paragraph_of(pid: str) -> str:
    return pid.split(".", 1)[0]


def section6_archetypes(passages: Sequence[Passage]) -> list[Archetype]:
    paragraphs: dict[str, list[Passage]] = {}
    for p in passages:
        if p.doc == "paper" and p.section == "6" and p.kind == "paragraph":
            paragraphs.setdefault(_paragraph_of(p.id), []).append(p)
    archetypes = []
    for windows in paragraphs.values():
        opening = strip_markdown(windows[0].text)
        name = next((n for pattern, n in ARCHETYPE_NAMES if pattern.search(opening[:160])), None)
        if name is None:
            continue
        text = " ".join(w.text for w in windows)
        weights, lean = archetype_role_weights(text)
        hiring = next((w.id for w in windows if _HIRING.search(w.text)), windows[0].id)
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
    if embedder is None:
        from .embeddings import get_embedder

        embedder = get_embedder(settings)
    skill_texts = {row.id: [row.label, *SKILL_PHRASES.get(row.id, [])] for row in matrix.rows}
    model = FitModel(matrix, by_id, row_passage, key_passage, role_passage, role_sentences,
                     section6_archetypes(passages), skill_texts, settings, embedder)
    flat = [(i, t) for i, sid in enumerate(matrix.skill_ids) for t in skill_texts[sid]]
    citable = citable_sentences(passages)
    vectors = model.encode([t for _, t in flat] + [r.text for r in role_sentences] + [t for _, t in citable])
    n_skill, n_role = len(flat), len(role_sentences)
    model.skill_vectors = vectors[:n_skill]
    model.skill_owner = np.array([i for i, _ in flat])
    model.role_vectors = vectors[n_skill:n_skill + n_role]
    sentence_sims = vectors[n_skill + n_role:] @ model.skill_vectors.T  # sentences x skill texts
    model.citation_ids = [pid for pid, _ in citable]
    model.citation_sims = np.stack([sentence_sims[:, model.skill_owner == k].max(axis=1)
                                    for k in range(len(matrix.rows))])  # skills x sentences
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


_models: dict = {}
_models_lock = threading.Lock()


def get_fit_model(settings: Settings | None = None) -> FitModel:
    """The model for these settings, built once per process (rebuilt if paper.md changes)."""
    settings = settings or get_settings()
    paper = Path(settings.corpus_dir) / PAPER_FILE
    stat = paper.stat() if paper.exists() else None
    key = (str(paper), stat.st_mtime_ns if stat else 0, stat.st_size if stat else 0, str(settings.model_path()),
           settings.window_words, tuple(sorted((k, v) for k, v in settings.model_dump().items()
                                               if k.startswith("fit_"))))
    with _models_lock:
        if key not in _models:
            if len(_models) >= 2:  # the paper or the settings changed: drop the oldest model
                _models.pop(next(iter(_models)))
            _models[key] = build_fit_model(settings)
        return _models[key]


# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class SkillEstimate:
    skill: str
    label: str
    level: float | None  # 0 (avoid / none) .. 0.5 (neutral) .. 1 (core); None = nothing known
    evidence: float  # signed evidence in -1..1 used by the score (0 = nothing known)
    confidence: float  # 0..1, how clearly the profile or quiz speaks to this skill
    source: str  # "text", "quiz" or "none"
    sentence: str | None = None  # the profile sentence that drove the level
    span: tuple[int, int] | None = None  # its offsets in the profile text
    quiz: int | None = None

    def to_dict(self) -> dict:
        return {"label": self.label, "level": None if self.level is None else round(self.level, 3),
                "evidence": round(self.evidence, 3), "confidence": round(self.confidence, 3),
                "source": self.source, "sentence": self.sentence,
                "span": list(self.span) if self.span else None, "quiz": self.quiz}


def passage_dict(p: Passage) -> dict:
    """The fields the UI needs to show and highlight a cited passage."""
    return {"id": p.id, "text": p.text, "section": p.section, "section_title": p.section_title, "kind": p.kind,
            "doc": p.doc, "file": p.file, "url": p.url, "start": p.start, "end": p.end}


@dataclass(frozen=True)
class Reason:
    skill: str
    label: str
    effect: str  # "match", "mismatch" or "unstated" (core to the role, not mentioned by the person)
    contribution: float  # this skill's term in the Table 1 channel
    person_level: float | None
    role_cell: Cell
    text: str
    sentence: str | None
    citations: tuple[Passage, ...]

    def to_dict(self) -> dict:
        return {"skill": self.skill, "label": self.label, "effect": self.effect,
                "contribution": round(self.contribution, 4),
                "person_level": None if self.person_level is None else round(self.person_level, 3),
                "role_level": self.role_cell.level, "cell": self.role_cell.text, "text": self.text,
                "sentence": self.sentence, "citations": [passage_dict(p) for p in self.citations]}


@dataclass(frozen=True)
class RoleScore:
    role: str
    score: float  # share of the fit among the four roles (softmax of raw), sums to 1
    raw: float
    table_score: float  # Table 1 channel
    definition_score: float  # Section 4/6 wording channel
    reasons: tuple[Reason, ...]
    citations: tuple[Passage, ...]  # the role's Section 4 definition (+ the closest sentence's passage)
    closest: dict | None  # {"you": clause, "paper": role sentence, "passage_id", "similarity"}

    def to_dict(self) -> dict:
        return {"role": self.role, "score": round(self.score, 4), "raw": round(self.raw, 4),
                "table_score": round(self.table_score, 4), "definition_score": round(self.definition_score, 4),
                "reasons": [r.to_dict() for r in self.reasons],
                "citations": [passage_dict(p) for p in self.citations], "closest": self.closest}


@dataclass(frozen=True)
class RoleFit:
    ranking: tuple[RoleScore, ...]  # empty when needs_more
    skills: tuple[SkillEstimate, ...]
    confidence: float  # 0..1
    confidence_label: str  # "high", "medium", "low" or "none"
    margin: float | None  # top share minus runner-up share
    close: bool
    follow_up: dict | None
    needs_more: bool
    message: str
    archetypes: tuple[dict, ...]
    quiz: tuple[dict, ...]  # the quiz offered (one question per Table 1 skill)
    notes: tuple[str, ...] = ()
    evidence: float = 0.0
    matrix: dict = field(default_factory=dict, compare=False)  # Table 1 levels, role -> skill -> level

    @property
    def top_role(self) -> str | None:
        return self.ranking[0].role if self.ranking else None

    def to_dict(self) -> dict:
        return {
            "ranking": [r.to_dict() for r in self.ranking],
            "skills": {s.skill: s.to_dict() for s in self.skills},
            "top_role": self.top_role, "confidence": round(self.confidence, 3),
            "confidence_label": self.confidence_label,
            "margin": None if self.margin is None else round(self.margin, 4), "close": self.close,
            "follow_up": self.follow_up, "needs_more": self.needs_more, "message": self.message,
            "archetypes": list(self.archetypes), "quiz": list(self.quiz), "notes": list(self.notes),
            "evidence": round(self.evidence, 3), "table1": self.matrix,
        }


# ---------------------------------------------------------------- quiz


def resolve_skill(key: str, skill_ids: Sequence[str], labels: Mapping[str, str] | None = None) -> str:
    """A quiz key -> skill id: the id, the Table 1 label, or an unambiguous prefix of either."""
    norm = re.sub(r"[^a-z0-9]+", "_", key.lower()).strip("_")
    labels = labels or {}
    names = {sid: {sid, re.sub(r"[^a-z0-9]+", "_", labels.get(sid, sid).lower()).strip("_")} for sid in skill_ids}
    exact = [sid for sid, ns in names.items() if norm in ns]
    if exact:
        return exact[0]
    prefix = [sid for sid, ns in names.items() if norm and any(n.startswith(norm) for n in ns)]
    if len(prefix) == 1:
        return prefix[0]
    hint = "ambiguous" if prefix else "unknown"
    raise FitInputError(f"{hint} quiz skill {key!r}; use one of: {', '.join(skill_ids)}")


def parse_quiz_args(pairs: Iterable[str]) -> dict[str, int]:
    """["publication=4", "deployment=0"] -> {"publication": 4, "deployment": 0} (keys resolved later)."""
    out: dict[str, int] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise FitInputError(f"quiz answer {pair!r} should look like skill=level, e.g. publication=4")
        try:
            level = int(value.strip())
        except ValueError:
            raise FitInputError(f"quiz answer {pair!r}: level must be a whole number 0-{QUIZ_MAX}") from None
        out[key.strip()] = level
    return out


def normalise_quiz(quiz: Mapping[str, object] | None, model: FitModel) -> dict[str, int]:
    labels = {r.id: r.label for r in model.matrix.rows}
    out: dict[str, int] = {}
    for key, value in (quiz or {}).items():
        sid = resolve_skill(str(key), model.skill_ids, labels)
        try:
            level = int(value)
        except (TypeError, ValueError):
            raise FitInputError(f"quiz answer for {key!r} must be a whole number 0-{QUIZ_MAX}, got {value!r}") from None
        if isinstance(value, float) and not float(value).is_integer() or not 0 <= level <= QUIZ_MAX:
            raise FitInputError(f"quiz answer for {key!r} must be a whole number 0-{QUIZ_MAX}, got {value!r}")
        out[sid] = level
    return out


def quiz_questions(model: FitModel) -> tuple[dict, ...]:
    return tuple({"skill": r.id, "label": r.label, "scale": f"0-{QUIZ_MAX}",
                  "question": f"How much do you want “{_lower_first(r.label)}” in your work? "
                              f"(0 = not at all, 2 = some, {QUIZ_MAX} = it's the core)"}
                 for r in model.matrix.rows)


# ---------------------------------------------------------------- profile -> skill evidence


@dataclass
class TextEvidence:
    clauses: list[Clause]
    relevance: np.ndarray  # clauses x skills, 0..1
    # The role-description channel works on "units": each clause and each of its list fragments, so a
    # whole sentence and a telling phrase inside it ("make them work at scale for customers") both count.
    unit_text: list[str] = field(default_factory=list)
    unit_clause: np.ndarray = None  # clause index of each unit
    unit_weight: np.ndarray = None  # how much skill signal the unit carries, 0..1
    unit_role_cosine: np.ndarray = None  # units x roles: cosine to the role's closest sentence
    unit_role_sentence: np.ndarray = None  # units x roles: index of that sentence in model.role_sentences


def dense_relevance(vectors: np.ndarray, model: FitModel) -> np.ndarray:
    """texts x skills, 0..1: cosine to the skill's closest description, mapped linearly from the floor to the
    ceiling, and faded out linearly as the skill falls behind the text's best skill (gone at the window)."""
    s = model.settings
    sims = vectors @ model.skill_vectors.T
    per_skill = np.stack([sims[:, model.skill_owner == k].max(axis=1) for k in range(len(model.skill_ids))], axis=1)
    span = max(s.fit_sim_ceiling - s.fit_sim_floor, 1e-6)
    dense = np.clip((per_skill - s.fit_sim_floor) / span, 0.0, 1.0)
    behind_best = per_skill.max(axis=1, keepdims=True) - per_skill
    return dense * np.clip(1.0 - behind_best / max(s.fit_sim_window, 1e-6), 0.0, 1.0)


# What someone did before counts less than what they say they want next, when they say both: "I was a
# software engineer for six years ... now I mainly want to formulate new algorithms". A CV (all past) keeps
# full weight, since it has nothing forward-looking to outweigh it.
_BACKGROUND = re.compile(r"\b(?:i was|i worked|i spent|i used to|used to be|previously|formerly|"
                         r"before (?:going|moving|switching|joining|that)|in my (?:last|previous|old) (?:job|role))\b", re.I)
_ASPIRATION = re.compile(r"\b(?:i(?:'d| would)? (?:\w+ )?(?:want|like to|love to|hope|aim|plan)|looking for|"
                         r"my goal|ideally|next (?:role|job|step))\b", re.I)


def clause_weights(clauses: Sequence[Clause]) -> np.ndarray:
    """1 per clause; half for a hedge ("a bit", "occasionally"), half for background next to aspirations."""
    aspiring = any(_ASPIRATION.search(c.sentence) for c in clauses)
    return np.array([(0.5 if c.hedged else 1.0)
                     * (0.5 if aspiring and _BACKGROUND.search(c.sentence) and not _ASPIRATION.search(c.sentence)
                        else 1.0) for c in clauses])


def text_evidence(profile: str, model: FitModel) -> TextEvidence:
    clauses = split_clauses(profile)
    n_roles, n_skills = len(ROLES), len(model.skill_ids)
    if not clauses:
        return TextEvidence([], np.zeros((0, n_skills)), [], np.zeros(0, dtype=int), np.zeros(0),
                            np.zeros((0, n_roles)), np.zeros((0, n_roles), dtype=int))
    s = model.settings
    fragments = [c.fragments for c in clauses]
    texts = list(dict.fromkeys([c.text for c in clauses] + [f for fs in fragments for f in fs]))
    position = {t: i for i, t in enumerate(texts)}
    vectors = model.encode(texts)  # nearly all of the cost of a fit
    dense = dense_relevance(vectors, model)
    cues = np.array([[cue_relevance(t, sid, s.fit_cue_strong, s.fit_cue_weak) for sid in model.skill_ids]
                     for t in texts])
    # A clause's skills come from its fragments (sharp) plus cue phrases anywhere in it.
    relevance = np.zeros((len(clauses), n_skills))
    weights = clause_weights(clauses)
    for i, clause in enumerate(clauses):
        relevance[i] = np.maximum(dense[[position[f] for f in fragments[i]]].max(axis=0), cues[position[clause.text]])
        relevance[i] *= weights[i]
    units = [(i, t) for i, c in enumerate(clauses) for t in dict.fromkeys([c.text, *fragments[i]])]
    rows = [position[t] for _, t in units]
    unit_clause = np.array([i for i, _ in units])
    hedge = np.array([weights[i] for i, _ in units])
    unit_weight = np.maximum(dense[rows], cues[rows]).max(axis=1) * hedge
    sims = vectors[rows] @ model.role_vectors.T  # units x role sentences
    owner = np.array([ROLES.index(r.role) for r in model.role_sentences])
    cosine = np.zeros((len(units), n_roles))
    best = np.zeros((len(units), n_roles), dtype=int)
    for j in range(n_roles):
        idx = np.flatnonzero(owner == j)
        best[:, j] = idx[sims[:, idx].argmax(axis=1)]
        cosine[:, j] = sims[:, idx].max(axis=1)
    return TextEvidence(clauses, relevance, [t for _, t in units], unit_clause, unit_weight, cosine, best)


def skill_estimates(ev: TextEvidence, quiz: Mapping[str, int], model: FitModel) -> list[SkillEstimate]:
    """Per skill: positive minus negative relevance mass over the clauses, squashed to -1..1. Repeating a
    skill strengthens it with diminishing returns; saying both "love" and "hate" about it cancels."""
    estimates = []
    sign = np.array([-1.0 if c.negative else 1.0 for c in ev.clauses])
    for k, row in enumerate(model.matrix.rows):
        if row.id in quiz:
            level = quiz[row.id] / QUIZ_MAX
            estimates.append(SkillEstimate(row.id, row.label, level, 2 * level - 1, 1.0, "quiz", quiz=quiz[row.id]))
            continue
        column = ev.relevance[:, k] if len(ev.clauses) else np.zeros(0)
        if not column.size or column.max() <= 0:
            estimates.append(SkillEstimate(row.id, row.label, None, 0.0, 0.0, "none"))
            continue
        signed = float((column * sign).sum())
        evidence = math.tanh(signed)
        confidence = math.tanh(float(column.sum()))
        driver = int(np.argmax(column * (np.sign(signed) * sign if signed else 1.0)))
        clause = ev.clauses[driver]
        estimates.append(SkillEstimate(row.id, row.label, 0.5 + 0.5 * evidence, evidence, confidence, "text",
                                       clause.sentence.strip(), (clause.start, clause.end)))
    return estimates


# ---------------------------------------------------------------- scoring


def table_channel(evidence: np.ndarray, model: FitModel) -> tuple[np.ndarray, np.ndarray]:
    """(score per role, contribution per role x skill): evidence . distinctiveness / total evidence."""
    contributions = model.matrix.distinctiveness() * evidence[None, :]
    total = float(np.abs(evidence).sum())
    return (contributions.sum(axis=1) / total if total > 0 else np.zeros(len(ROLES))), contributions


def definition_channel(ev: TextEvidence) -> np.ndarray:
    """Per role: how much closer the person's words are to the role's closest Section 4/6 sentence than
    to the average role's, over clauses and their fragments, each weighted by its skill signal and signed
    by its polarity (a negated clause counts against the roles it resembles)."""
    if not len(ev.unit_text) or ev.unit_weight.sum() <= 0:
        return np.zeros(len(ROLES))
    sign = np.array([-1.0 if ev.clauses[i].negative else 1.0 for i in ev.unit_clause])
    centred = ev.unit_role_cosine - ev.unit_role_cosine.mean(axis=1, keepdims=True)
    return (centred * (ev.unit_weight * sign)[:, None]).sum(axis=0) / ev.unit_weight.sum()


def softmax(x: np.ndarray, temperature: float) -> np.ndarray:
    z = (x - x.max()) / max(temperature, 1e-6)
    e = np.exp(z)
    return e / e.sum()


def _cell_meaning(cell: Cell) -> str:
    return {"✓✓": "core focus", "✓": "frequently involved", "○/✓": "minimal to frequent",
            "✓/○": "minimal to frequent", "○": "minimally involved"}[cell.symbol]


def _plural(role: str) -> str:
    return f"{role}s"


def _citation_for(model: FitModel, skill_index: int, role: str) -> Passage | None:
    """The Section 3/4 passage that best describes the skill for this role: the shared-skills passages of
    Section 3 or the role's own Section 4 definition (never another role's), with a small preference for
    the role's own words."""
    own = _paragraph_of(model.role_passage[role].id)
    best, best_score = None, -1.0
    for i, pid in enumerate(model.citation_ids):
        in_own = _paragraph_of(pid) == own
        if not (pid.startswith("paper:3:") or in_own):
            continue
        score = float(model.citation_sims[skill_index, i]) + (0.05 if in_own else 0.0)
        if score > best_score:
            best, best_score = pid, score
    return model.passages.get(best) if best else None


def build_reasons(role_index: int, contributions: np.ndarray, skills: Sequence[SkillEstimate],
                  model: FitModel, max_reasons: int = 4) -> tuple[Reason, ...]:
    role = ROLES[role_index]
    distinct = model.matrix.distinctiveness()[role_index]
    terms = contributions[role_index]
    order = [k for k in np.argsort(-np.abs(terms)) if abs(terms[k]) >= 0.02][:max_reasons]
    # Fewer than two skills spoke? Add what the role is built around that the person did not mention.
    if len(order) < 2:
        for k in np.argsort(-distinct):
            if len(order) >= 2:
                break
            if k not in order and skills[k].source == "none" and distinct[k] > 0:
                order.append(int(k))
    reasons = []
    for k in order:
        row, est = model.matrix.rows[k], skills[k]
        cell = row.cells[role]
        quoted = f" (“{_short(est.sentence, 60)}”)" if est.sentence else (" (quiz)" if est.source == "quiz" else "")
        # The score compares the role with the average role, so the wording does too.
        relative = "more" if distinct[k] > 0 else "less"
        table = f"Table 1: {cell.text} — {_cell_meaning(cell)}"
        if est.source == "none":
            effect = "unstated"
            text = (f"You did not mention {_lower_first(row.label)}, which {_plural(role)} do {relative} than most "
                    f"roles ({table}).")
        else:
            effect = "match" if terms[k] > 0 else "mismatch"
            stance = "You lean into" if est.evidence > 0 else "You would rather avoid"
            text = (f"{stance} {_lower_first(row.label)}{quoted}, which {_plural(role)} do {relative} than most "
                    f"roles ({table}).")
        cited = [model.row_passage[row.id]]
        extra = _citation_for(model, k, role)
        if extra is not None:
            cited.append(extra)
        reasons.append(Reason(row.id, row.label, effect, float(terms[k]), est.level, cell, text, est.sentence,
                              tuple(cited)))
    return tuple(reasons)


def _lower_first(label: str) -> str:
    """"Propose novel ML algorithms" -> "propose novel ML algorithms" (acronyms keep their case)."""
    return label[:1].lower() + label[1:] if label[:2] != label[:2].upper() else label


def _short(text: str | None, limit: int = 90) -> str:
    text = re.sub(r"\s+", " ", text or "").strip()
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def closest_definition(ev: TextEvidence, role_index: int, model: FitModel) -> dict | None:
    """The role's sentence in the paper closest to something positive the person said."""
    positive = [u for u, i in enumerate(ev.unit_clause) if not ev.clauses[i].negative and ev.unit_weight[u] > 0]
    if not positive:
        return None
    u = max(positive, key=lambda u: ev.unit_role_cosine[u, role_index])
    sentence = model.role_sentences[int(ev.unit_role_sentence[u, role_index])]
    return {"you": ev.unit_text[u], "paper": sentence.text, "passage_id": sentence.passage_id,
            "similarity": round(float(ev.unit_role_cosine[u, role_index]), 4)}


def follow_up_question(first: int, second: int, skills: Sequence[SkillEstimate], model: FitModel) -> dict:
    """The one quiz question that would best separate the top two: the skill where Table 1 sets them
    furthest apart, preferring one the person has not spoken to yet."""
    levels = model.matrix.levels()
    gap = np.abs(levels[first] - levels[second])
    known = np.array([s.confidence for s in skills])
    k = int(np.argmax(gap * (1.0 - 0.8 * known)))
    row = model.matrix.rows[k]
    a, b = ROLES[first], ROLES[second]
    leans = a if levels[first, k] > levels[second, k] else b
    other = b if leans == a else a
    return {
        "skill": row.id, "label": row.label, "between": [a, b],
        "cells": {a: row.cells[a].text, b: row.cells[b].text},
        "question": (f"{a} and {b} are close for you. How much do you want “{_lower_first(row.label)}” in your "
                     f"work (0 = not at all … {QUIZ_MAX} = the core)? A high answer points to {leans} "
                     f"(Table 1: {row.cells[leans].text}), a low one to {other} ({row.cells[other].text})."),
        "citation": passage_dict(model.row_passage[row.id]),
    }


def archetype_matches(shares: np.ndarray, model: FitModel, top: int = 3) -> tuple[dict, ...]:
    scored = []
    for a in model.archetypes:
        weights = np.array([a.role_weights[r] for r in ROLES])
        scored.append((float(shares @ weights), a))
    scored.sort(key=lambda t: -t[0])
    out = []
    # Only organisations that hire for this profile about as much as the best one does.
    for score, a in [(sc, a) for sc, a in scored if sc >= 0.5 * scored[0][0]][:top]:
        p = model.passages[a.hiring_passage_id]
        sentence = next((strip_markdown(p.text[s:e]) for s, e in sentence_spans(p.text) if _HIRING.search(p.text[s:e])),
                        strip_markdown(p.text))
        out.append({"name": a.name, "score": round(score, 4),
                    "roles": {r: w for r, w in a.role_weights.items()}, "lean": a.lean, "why": sentence,
                    "citation": passage_dict(p)})
    return tuple(out)


def confidence_of(evidence: float, margin: float, top_share: float, english: bool, settings: Settings) -> float:
    """Strength of evidence x how clearly the top role wins, halved for a non-English profile."""
    strength = 1.0 - math.exp(-evidence / max(settings.fit_evidence_scale, 1e-6))
    clarity = 0.5 * top_share + 0.5 * min(1.0, margin / max(2 * settings.fit_close_margin, 1e-6))
    return strength * clarity * (0.5 if not english else 1.0)


def confidence_label(value: float) -> str:
    return "high" if value >= 0.6 else "medium" if value >= 0.35 else "low"


def fit(profile: str | None = None, quiz: Mapping[str, object] | None = None, *,
        settings: Settings | None = None, model: FitModel | None = None) -> RoleFit:
    """Rank the four roles for a free-text profile and/or quiz answers (skill -> 0..4, overriding text)."""
    model = model or get_fit_model(settings)
    settings = model.settings
    notes: list[str] = []
    text = profile or ""  # not stripped: skill spans are offsets into the profile as given
    if not text.strip():
        text = ""
    if len(text) > settings.fit_max_profile_chars:
        text = text[: settings.fit_max_profile_chars]
        notes.append(f"Only the first {settings.fit_max_profile_chars} characters of the profile were read.")
    answers = normalise_quiz(quiz, model)
    english = looks_english(text) if text else True
    if text and not english:
        notes.append("The profile does not look like English; the skill model reads English best, so this "
                     "estimate is low-confidence. The quiz works in any language.")
    ev = text_evidence(text, model)
    skills = skill_estimates(ev, answers, model)
    evidence = np.array([s.evidence for s in skills])
    total = float(np.abs(evidence).sum())
    questions = quiz_questions(model)
    matrix_levels = {role: {row.id: row.cells[role].level for row in model.matrix.rows} for role in ROLES}

    if total < settings.fit_min_evidence:
        message = ("Tell me more about yourself: what do you enjoy or want to do more of (inventing methods, "
                   "publishing, building training infrastructure, shipping models to users...)? "
                   "Or answer the short quiz (one 0-4 answer per skill from the paper's Table 1).")
        if text and not english:
            message = notes[-1] + " " + message
        return RoleFit((), tuple(skills), 0.0, "none", None, False, None, True, message, (), questions,
                       tuple(notes), total, matrix_levels)

    table, contributions = table_channel(evidence, model)
    # With every skill answered in the quiz the person has spoken for themselves; the text's wording stays out.
    definition = definition_channel(ev) if len(answers) < len(skills) else np.zeros(len(ROLES))
    raw = table + settings.fit_definition_weight * definition
    shares = softmax(raw, settings.fit_temperature)
    order = [int(i) for i in np.argsort(-shares, kind="stable")]
    ranking = []
    for i in order:
        role = ROLES[i]
        closest = closest_definition(ev, i, model) if ev.clauses else None
        cited = [model.role_passage[role]]
        if closest and closest["passage_id"] != cited[0].id:
            cited.append(model.passages[closest["passage_id"]])
        ranking.append(RoleScore(role, float(shares[i]), float(raw[i]), float(table[i]), float(definition[i]),
                                 build_reasons(i, contributions, skills, model), tuple(cited), closest))
    margin = float(shares[order[0]] - shares[order[1]])
    close = margin < settings.fit_close_margin
    confidence = confidence_of(total, margin, float(shares[order[0]]), english, settings)
    follow_up = follow_up_question(order[0], order[1], skills, model) if close else None
    top, second = ranking[0], ranking[1]
    message = (f"Best fit: {top.role} ({top.score:.0%} of the fit); runner-up {second.role} ({second.score:.0%}). "
               f"Confidence {confidence_label(confidence)}.")
    if close and follow_up:
        message += " " + follow_up["question"]
    return RoleFit(tuple(ranking), tuple(skills), confidence, confidence_label(confidence), margin, close,
                   follow_up, False, message, archetype_matches(shares, model), questions, tuple(notes), total,
                   matrix_levels)


def fit_file(filename: str, data: bytes, quiz: Mapping[str, object] | None = None, *,
             settings: Settings | None = None, model: FitModel | None = None) -> RoleFit:
    """Fit from an uploaded CV/profile (.txt, .md, .pdf, .docx), read in memory only."""
    from .profile_files import read_profile_bytes

    settings = settings or (model.settings if model else get_settings())
    return fit(read_profile_bytes(filename, data, settings.fit_max_file_bytes), quiz, settings=settings,
               model=model)


# ---------------------------------------------------------------- chart

SHORT_LABELS = {
    "algorithms": "Novel algorithms", "implementation": "Implement models",
    "distributed_training": "Distributed training", "optimization": "Code optimization",
    "data_pipelines": "Data pipelines", "experiments": "Experiment design",
    "software_engineering": "SWE practices", "publication": "Publication", "deployment": "Product & deployment",
}
ROLE_COLOURS = {"Research Scientist": "#4C72B0", "Research Engineer": "#55A868", "Applied Scientist": "#C44E52",
                "ML Engineer": "#8172B2"}


def plot_fit(result: RoleFit | dict, top: int = 2):
    """Grouped horizontal bars: the person's level per Table 1 skill next to the top roles' levels.
    Returns a matplotlib Figure on the Agg canvas (no pyplot, safe in a server); save with
    fig.savefig("out.png")."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    data = result.to_dict() if isinstance(result, RoleFit) else result
    matrix = data.get("table1") or {}
    skills = data["skills"]
    skill_ids = list(skills)
    roles = [r["role"] for r in data["ranking"][:top]] or list(ROLES)
    if not matrix:
        raise FitInputError("this result carries no Table 1 levels to plot")
    fig = Figure(figsize=(8.5, 0.55 * len(skill_ids) + 1.8), dpi=110)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    n_bars = 1 + len(roles)
    height = 0.8 / n_bars
    y = np.arange(len(skill_ids))[::-1].astype(float)
    slot = lambda b: y + 0.4 - height / 2 - b * height  # noqa: E731 - bar b of each group, top first
    for yy, sid in zip(slot(0), skill_ids):
        level = skills[sid]["level"]
        if level is None:  # nothing known: an outlined neutral bar, not a made-up value
            ax.barh(yy, 0.5, height, color="white", edgecolor="#333333", hatch="//", linewidth=0.6)
            ax.text(0.52, yy, "not stated", va="center", fontsize=7, color="#555555")
        else:
            ax.barh(yy, level, height, color="#222222")
    handles = [Patch(color="#222222", label="You")]
    for b, role in enumerate(roles, start=1):
        share = next((r["score"] for r in data["ranking"] if r["role"] == role), None)
        label = f"{role} ({share:.0%})" if share is not None else role
        colour = ROLE_COLOURS.get(role, "#999999")
        ax.barh(slot(b), [matrix[role][sid] for sid in skill_ids], height, color=colour, alpha=0.8)
        handles.append(Patch(color=colour, alpha=0.8, label=label))
    ax.set_yticks(y)
    ax.set_yticklabels([SHORT_LABELS.get(sid, skills[sid]["label"]) for sid in skill_ids], fontsize=9)
    ax.set_xlim(0, 1.05)
    ax.set_xticks([0, 0.15, 0.35, 0.6, 1.0])
    ax.set_xticklabels(["0", "○", "○/✓", "✓", "✓✓"], fontsize=8)
    ax.set_xlabel("involvement (roles: Table 1 of the paper; you: from your profile/quiz, 0.5 = neutral)",
                  fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    ax.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=len(handles), fontsize=8,
              frameon=False)
    title = "Role fit — tell me more to get a ranking" if data.get("needs_more") else \
        f"Role fit: {roles[0]} (confidence {data.get('confidence_label', '')})"
    ax.set_title(title, fontsize=11, pad=24)
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------- evaluation


def evaluate_fit(set_path: Path, settings: Settings | None = None) -> dict:
    """Top-1/top-2 accuracy and log loss on a persona set (JSON Lines: "id", "profile", "top1": [roles]
    where any listed role counts as right)."""
    from .evaluate import load_jsonl

    model = get_fit_model(settings)
    personas = load_jsonl(Path(set_path))
    rows, top1, top2, loss = [], 0, 0, 0.0
    for n, persona in enumerate(personas, 1):
        expected = persona.get("top1") or persona.get("expected")
        if isinstance(expected, str):
            expected = [expected]
        if not expected or "profile" not in persona:
            raise ValueError(f"{set_path}: persona #{n} needs 'profile' and 'top1' (a list of role names)")
        unknown = [r for r in expected if r not in ROLES]
        if unknown:
            raise ValueError(f"{set_path}: persona #{n} names unknown roles {unknown}; use {list(ROLES)}")
        result = fit(persona["profile"], persona.get("quiz"), model=model)
        ranking = [r.role for r in result.ranking]
        shares = {r.role: r.score for r in result.ranking}
        hit1 = bool(ranking) and ranking[0] in expected
        hit2 = any(r in expected for r in ranking[:2])
        top1 += hit1
        top2 += hit2
        loss += -math.log(max([shares.get(r, 0.0) for r in expected] + [1e-6]))
        rows.append({"id": persona.get("id", n), "expected": expected, "ranking": ranking,
                     "top_share": round(result.ranking[0].score, 4) if ranking else None,
                     "confidence": round(result.confidence, 3), "top1": hit1, "top2": hit2,
                     "needs_more": result.needs_more})
    total = max(len(personas), 1)
    return {"personas": len(personas), "top1": round(top1 / total, 4), "top2": round(top2 / total, 4),
            "top1_hits": top1, "top2_hits": top2, "log_loss": round(loss / total, 4),
            "misses": [r["id"] for r in rows if not r["top1"]], "results": rows}
