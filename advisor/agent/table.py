"""The Table 1 tool: a cell, a row, a role's column or two roles compared, said in words.

Rows are found by meaning (MiniLM similarity of the request to each row's label and notes, plus the share of
the label's words the request uses), roles by how the paper names them. Every statement cites the table-row
passages it reads, whose text carries "Role: cell" for each role, so each filled-in value can be checked.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from ..core.text import content_words, split_sentences, symbol_names, unstemmed_content_words
from ..core.types import Passage, PassageKind
from ..fit import SkillMatrix, SkillRow
from ..fit.matrix import lower_first
from ..grounding import encode_cached
from ..llm import prompts
from .results import Statement, ToolResult
from .sections import caption_statement
from .state import without_role_names

_SYMBOL_PATTERN = r"✓✓|○/✓|✓|○"  # longest first: ✓✓ is not two ✓
_KEY_ENTRY = re.compile(rf"({_SYMBOL_PATTERN})\s*=\s*([^;.]+)")
_SYMBOL = re.compile(_SYMBOL_PATTERN)
# how the paper's prose refers to Table 1 ("the above matrix"); a question may just say "this table"
_REFERS_TO_TABLE = re.compile(r"\bTable 1\b|\bmatrix\b")
_NAMES_TABLE = re.compile(r"\b(?:table|matrix)\b", re.I)
_NAMES_PART = re.compile(r"\b(?:rows?|columns?|cells?)\b", re.I)


@dataclass(frozen=True)
class TableView:
    """Table 1 as the tool reads it: the parsed matrix, the row passages, the caption with the key."""

    matrix: SkillMatrix
    row_passages: dict[str, Passage]  # skill id -> its table-row passage
    caption: Passage | None
    remarks: tuple[tuple[str, Passage], ...] = ()  # the paper's sentences about the table, each with its passage

    @classmethod
    def build(cls, matrix: SkillMatrix, passages: Sequence[Passage]) -> TableView:
        rows = [p for p in passages if p.doc == "paper" and p.kind == PassageKind.TABLE_ROW]
        by_start = {p.start: p for p in rows}
        row_passages = {row.id: by_start[row.start] for row in matrix.rows if row.start in by_start}
        caption = next(
            (p for p in passages if p.doc == "paper" and p.kind == PassageKind.CAPTION and "Table 1" in p.text), None
        )
        remarks: dict[str, Passage] = {}  # a sentence in two overlapping windows is said once, from the first
        for p in passages:
            if p.doc == "paper" and p.kind in (PassageKind.PARAGRAPH, PassageKind.BULLET):
                for sentence in split_sentences(p.text):
                    if _REFERS_TO_TABLE.search(sentence):
                        remarks.setdefault(sentence.strip(), p)
        return cls(matrix, row_passages, caption, tuple(remarks.items()))

    def key(self) -> dict[str, str]:
        """Symbol -> its meaning in the caption ("✓✓" -> "core focus of role")."""
        return {s: m.strip() for s, m in _KEY_ENTRY.findall(self.caption.text)} if self.caption else {}

    def descriptor(self, row: SkillRow) -> str:
        notes = ", ".join(dict.fromkeys(c.note for c in row.cells.values() if c.note))
        return f"{row.label}: {notes}"


def match_rows(
    view: TableView, request: str, embedder, min_score: float, word_similarity: float
) -> list[tuple[SkillRow, float]]:
    """Rows the request is about, best first: cosine to the row's label and notes plus the share of the
    label's content words the request uses, in any form ("publish" uses "publication": word cosine at least
    `word_similarity`). Role names are taken out first: they pick columns, and "research engineers" does not
    ask for the "publication & research community" row."""
    rows = [r for r in view.matrix.rows if r.id in view.row_passages]
    request = without_role_names(request)
    if not rows or not request.strip():
        return []
    vectors = encode_cached(embedder, [request] + [view.descriptor(r) for r in rows])
    sims = vectors[1:] @ vectors[0]
    asked = list(dict.fromkeys(unstemmed_content_words(request)))
    labels = [list(dict.fromkeys(unstemmed_content_words(row.label))) for row in rows]
    words = list(dict.fromkeys(asked + [w for label in labels for w in label]))
    word_vectors = dict(zip(words, encode_cached(embedder, words))) if asked else {}
    scored = []
    for row, label, sim in zip(rows, labels, sims):
        used = [w for w in label if any(float(word_vectors[w] @ word_vectors[a]) >= word_similarity for a in asked)]
        overlap = len(used) / len(label) if label else 0.0
        scored.append((row, float(sim) + 0.5 * overlap, bool(used)))
    scored.sort(key=lambda t: -t[1])
    best = scored[0][1]
    # a row whose label the request uses a word of is asked for even when the rest of the request is far
    # from it ("how about its publication mark in the matrix")
    return [(row, s) for row, s, named in scored if (s >= min_score or named) and s >= best - 0.08][:2]


def _cell_value(role: str, row: SkillRow) -> str:
    return f"{role}: {row.cells[role].text}"


def _cell_phrase(role: str, row: SkillRow) -> str:
    return f"{role} {row.cells[role].text}"


def _and(items: Sequence[str], separator: str = ", ") -> str:
    items = list(items)
    return items[0] if len(items) == 1 else separator.join(items[:-1]) + " and " + items[-1]


def roles_marked_as_asked(row: SkillRow, roles: Sequence[str], request: str) -> list[str]:
    """The roles whose cell note in the row the request uses ("varies", "support role", "rare"), when that sets
    them apart from the rest of the row; [] otherwise."""
    asked = set(content_words(request))
    notes = {r: set(content_words(row.cells[r].note)) for r in roles}  # "often" is a stop word: no words
    marked = [r for r in roles if notes[r] and notes[r] <= asked]
    return marked if len(marked) < len(roles) else []


# "which role is least involved in publication?", "which rows does the ML engineer score lowest on?"
_LOWEST = re.compile(r"\b(?:least|lowest|weakest|fewest|bottom)\b", re.I)


def asks_lowest(request: str) -> bool:
    return bool(_LOWEST.search(request))


def asks_which_role(request: str) -> bool:
    """Whether the request asks which role ("who's least involved in that?"), not what one role does."""
    return bool(_ASKS_WHICH_ROLE.search(request))


# "and the AS? who has it as a primary responsibility?": besides the roles it names, the request asks which roles
# lead the row
_ASKS_WHICH_ROLE = re.compile(
    r"\bwho\b|\bwhich\s+(?:roles?|ones?|titles?|jobs?|positions?|of\s+(?:them|the\s+(?:roles|four)))\b", re.I
)


def row_statements(
    view: TableView, row: SkillRow, roles: Sequence[str], score: float, request: str = ""
) -> list[Statement]:
    passage = view.row_passages[row.id]
    label = lower_first(row.label)
    if roles:
        return [
            Statement(
                prompts.TABLE_CELL.format(role=role, cell=row.cells[role].text, label=label),
                (passage.id,),
                (_cell_value(role, row), row.label),
                score=score,
            )
            for role in roles
        ]
    levels = {role: cell.level for role, cell in row.cells.items()}
    lowest = asks_lowest(request)
    top = (min if lowest else max)(levels.values())
    leaders = [role for role in view.matrix.roles if levels[role] == top]
    one, many = (
        (prompts.TABLE_BOTTOM_ONE, prompts.TABLE_BOTTOM_MANY)
        if lowest
        else (prompts.TABLE_TOP_ONE, prompts.TABLE_TOP_MANY)
    )
    template = one if len(leaders) == 1 else many
    cells = "; ".join(_cell_phrase(r, row) for r in leaders)
    marked = roles_marked_as_asked(row, view.matrix.roles, request)
    if marked:  # "which role gets a 'varies' mark for ...": the roles whose cell says what the request says
        leaders, template = marked, prompts.TABLE_MARKED
        cells = "; ".join(prompts.TABLE_MARK.format(role=r, cell=row.cells[r].text) for r in marked)
    others = [role for role in view.matrix.roles if role not in leaders]
    out = [
        Statement(
            template.format(label=label, roles=_and(leaders), cells=cells),
            (passage.id,),
            (row.label, *(_cell_value(r, row) for r in leaders)),
            score=score,
        )
    ]
    if others:
        out.append(
            Statement(
                prompts.TABLE_OTHERS.format(cells="; ".join(_cell_phrase(r, row) for r in others)),
                (passage.id,),
                tuple(_cell_value(r, row) for r in others),
                score=score - 0.01,
            )
        )
    return out


def column_statements(view: TableView, role: str, lowest: bool = False) -> list[Statement]:
    """A role's whole column of Table 1, one statement per mark from its core focus down (`lowest`: from its
    weakest mark up), each row with its cell as printed ("publication & research community: ✓✓ (primary output)")."""
    rows = [r for r in view.matrix.rows if r.id in view.row_passages]
    symbols = sorted(
        {r.cells[role].symbol: r.cells[role].level for r in rows}.items(),
        key=lambda kv: kv[1] if lowest else -kv[1],
    )
    out = []
    for symbol, _ in symbols:
        chosen = [r for r in rows if r.cells[role].symbol == symbol]
        meaning = view.key().get(symbol, "")
        # each cell as printed ("experiment design & analysis: ✓✓ (primary, business metrics)"), so its note reads
        # with its mark; semicolons, since a note may hold a comma
        labels = [f"{lower_first(r.label)}: {r.cells[role].text}" for r in chosen]
        out.append(
            Statement(
                prompts.TABLE_COLUMN.format(
                    role=role, symbol=symbol, meaning=f" ({meaning})" if meaning else "", labels=_and(labels, "; ")
                ),
                tuple(view.row_passages[r.id].id for r in chosen)
                + ((view.caption.id,) if meaning and view.caption else ()),
                tuple(_cell_value(role, r) for r in chosen) + ((f"{symbol} = {meaning}",) if meaning else ()),
                score=1.0 - 0.05 * len(out),
            )
        )
    return out


def compare_statements(view: TableView, a: str, b: str, limit: int = 3) -> list[Statement]:
    """The rows where Table 1 marks two roles furthest apart, then the rows where it marks them alike."""
    rows = [r for r in view.matrix.rows if r.id in view.row_passages]
    gaps = sorted(rows, key=lambda r: -abs(r.cells[a].level - r.cells[b].level))
    out = []
    for row in gaps[:limit]:
        if row.cells[a].level == row.cells[b].level:
            break
        out.append(
            Statement(
                prompts.TABLE_COMPARE.format(
                    label=lower_first(row.label), role_a=a, cell_a=row.cells[a].text, role_b=b, cell_b=row.cells[b].text
                ),
                (view.row_passages[row.id].id,),
                (row.label, _cell_value(a, row), _cell_value(b, row)),
                score=1.0 - 0.01 * len(out),
            )
        )
    alike = [r for r in rows if r.cells[a].symbol == r.cells[b].symbol == "✓✓"]
    if alike:
        out.append(
            Statement(
                prompts.TABLE_ALIKE.format(role_a=a, role_b=b, labels=_and([lower_first(r.label) for r in alike])),
                tuple(view.row_passages[r.id].id for r in alike),
                tuple(v for r in alike for v in (_cell_value(a, r), _cell_value(b, r))),
                score=0.9,
            )
        )
    return out


def about_whole_table(text: str) -> bool:
    """The text asks about Table 1 itself ("is this table meant to be universal?"), not a row or a column of it
    ("show me their whole column from table 1")."""
    return bool(_NAMES_TABLE.search(text)) and not _NAMES_PART.search(text)


def table_statements(view: TableView) -> list[Statement]:
    """The table as a whole: what it rates, its caption (the key and its caveat) and what the paper's prose
    says of it ("The above matrix is a generalized view …")."""
    rows = [r for r in view.matrix.rows if r.id in view.row_passages]
    out = [
        Statement(
            prompts.TABLE_OVERVIEW.format(
                roles=_and(view.matrix.roles),
                count=len(rows),
                labels=_and([lower_first(r.label) for r in rows], "; "),
            ),
            tuple(view.row_passages[r.id].id for r in rows),
            tuple(r.label for r in rows),
            score=0.9,
        )
    ]
    if view.caption is not None:
        out.append(replace(caption_statement("Table 1", view.caption), score=0.8))
    out += [
        Statement(prompts.TABLE_REMARK.format(sentence=sentence), (p.id,), (sentence,), quote=True, score=0.7)
        for sentence, p in view.remarks
    ]
    return out


def symbols_by_name(request: str, key: Mapping[str, str]) -> list[str]:
    """The key's marks the request calls by a word of their Unicode name ("the hollow circle" -> ○, "a check
    mark" -> ✓✓ and ✓), in the key's order."""
    asked = set(content_words(request))
    return [symbol for symbol in key if any(set(content_words(name)) & asked for name in symbol_names(symbol).values())]


# "which role has the most core-focus marks?", "how many ✓✓ does the research engineer get?"
_ASKS_COUNT = re.compile(r"\b(?:most|fewest|how\s+many|count|number\s+of|tally)\b", re.I)
_COUNTABLE = re.compile(rf"{_SYMBOL_PATTERN}|\b(?:marks?|ticks?|checks?|checkmarks?|circles?|symbols?|rows?)\b", re.I)


def counted_marks(request: str, key: Mapping[str, str]) -> list[str]:
    """The marks a request asks to count, named by symbol, by a word of the symbol's name ("check marks") or by
    their meaning in the key ("core-focus marks": ✓✓ = core focus of role); [] when it asks no count."""
    if not (_ASKS_COUNT.search(request) and _COUNTABLE.search(request)):
        return []
    asked = set(content_words(request))
    generic = set(content_words("role involved"))
    meant = [s for s, meaning in key.items() if (set(content_words(meaning)) - generic) & asked]
    return list(dict.fromkeys(_SYMBOL.findall(request))) or meant or symbols_by_name(request, key)


def count_statements(view: TableView, symbol: str, lowest: bool) -> list[Statement]:
    """Which role has the most (or fewest) of a mark across Table 1's rows, and every role's count."""
    rows = [r for r in view.matrix.rows if r.id in view.row_passages]
    counts = {role: sum(r.cells[role].symbol == symbol for r in rows) for role in view.matrix.roles}
    extreme = (min if lowest else max)(counts.values())
    leaders = [role for role, n in counts.items() if n == extreme]
    cited = tuple(view.row_passages[r.id].id for r in rows) + ((view.caption.id,) if view.caption else ())
    ranked = sorted(counts.items(), key=lambda pair: pair[1] if lowest else -pair[1])
    lead = prompts.TABLE_MOST_MARKS.format(
        roles=_and(leaders),
        have="have" if len(leaders) > 1 else "has",
        most="fewest" if lowest else "most",
        symbol=symbol,
        meaning=view.key().get(symbol, ""),
        count=extreme,
        total=len(rows),
    )
    tally = prompts.TABLE_MARK_COUNTS.format(symbol=symbol, counts=_and([f"{role} {n}" for role, n in ranked]))
    # the counts are the tool's own arithmetic over the cited rows: what must hold in them is the mark counted
    return [Statement(lead, cited, (symbol,), score=1.0), Statement(tally, cited, (symbol,), score=0.95)]


def names_table_content(view: TableView, request: str, embedder, word_similarity: float) -> bool:
    """Whether the request uses Table 1's own words: a mark (by symbol or name, "that circle"), a cell's note
    ("extensive", "support role") or a word of a row's label in any form ("publishing" ~ publication)."""
    if _SYMBOL.search(request) or symbols_by_name(request, view.key()):
        return True
    asked = set(content_words(request))
    notes = {c.note for r in view.matrix.rows for c in r.cells.values() if c.note}
    if any(set(content_words(note)) and set(content_words(note)) <= asked for note in notes):
        return True
    words = list(dict.fromkeys(unstemmed_content_words(without_role_names(request))))
    labels = list(dict.fromkeys(w for r in view.matrix.rows for w in unstemmed_content_words(r.label)))
    if not words or not labels:
        return False
    vectors = encode_cached(embedder, words + labels)
    return bool((vectors[: len(words)] @ vectors[len(words) :].T >= word_similarity).any())


def lookup_table(
    view: TableView,
    request: str,
    roles: Sequence[str],
    embedder,
    min_score: float,
    word_similarity: float,
    asked: str = "",
) -> ToolResult:
    """The tool: rows the request names (for the roles it names, or who ranks highest), else a role's
    column or two roles compared, else the table's key. `asked`: a follow-up's own words, when the request is
    an earlier question read again for its rows ("research scientists get a circle there, what does that
    mean?"): the marks they name get their key entries too."""
    counted = counted_marks(request, view.key())
    matched = [] if counted else match_rows(view, request, embedder, min_score, word_similarity)
    roles = [r for r in roles if r in view.matrix.roles]
    statements: list[Statement] = []
    if counted:
        statements = count_statements(view, counted[0], asks_lowest(request))
        what = f"{counted[0]} marks by role"
    elif matched:
        # what is asked of the rows ("which roles get extensive for that row?") is in the follow-up's own words
        asking = asked or request
        for row, score in matched:
            statements += row_statements(view, row, roles, score, asking)
            if roles and asks_which_role(asking):
                statements += row_statements(view, row, [], score - 0.02, asking)[:1]
        what = "rows " + "; ".join(r.label for r, _ in matched)
    elif len(roles) >= 2:
        statements = compare_statements(view, roles[0], roles[1])
        what = f"{roles[0]} vs {roles[1]}"
    elif roles:
        statements = column_statements(view, roles[0], asks_lowest(request))
        what = f"column {roles[0]}"
    named = list(
        dict.fromkeys(
            s for text in (request, asked) if text for s in _SYMBOL.findall(text) or symbols_by_name(text, view.key())
        )
    )
    if not statements and not named and about_whole_table(request):
        statements = table_statements(view)
        what = "the table"
    elif not statements:
        what = "the key"
    if view.caption is not None and what != "the table":
        # The key entries of the marks the request names ("and ○?"), in its order; else ✓✓ whenever the answer
        # uses it or says nothing else.
        if not named and (not statements or any("✓✓" in s.text for s in statements)):
            named = ["✓✓"]
        key = view.key()
        for symbol in named:
            if key.get(symbol):
                statements.append(
                    Statement(
                        prompts.TABLE_KEY.format(symbol=symbol, meaning=key[symbol]),
                        (view.caption.id,),
                        (f"{symbol} = {key[symbol]}",),
                        score=0.5,
                    )
                )
    passages = {pid: None for s in statements for pid in s.passage_ids}
    by_id = {
        p.id: p
        for p in [*view.row_passages.values(), *([view.caption] if view.caption else []), *(p for _, p in view.remarks)]
    }
    strength = max((s for _, s in matched), default=0.6 if roles or what == "the table" else 0.3)
    return ToolResult(
        tool="table1",
        arguments={"request": request, "roles": list(roles)},
        statements=tuple(statements),
        passages=tuple(by_id[pid] for pid in passages if pid in by_id),
        summary=what,
        strength=float(np.clip(strength, 0.0, 1.0)),
        section="6",
    )
