"""The paper-sections and archetypes tools: a named part of the paper (abstract, a numbered section, the
limitations, the conclusion, a figure or Table 1's caption) or Section 6's organisation archetypes, quoted
sentence by sentence, the sentences closest to the request first."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from ..core.text import content_words, split_sentences, strip_citations, strip_markdown
from ..core.types import Evidence, Passage, PassageKind
from ..fit import archetype_label, places_archetype
from ..grounding import encode_cached
from ..llm import prompts
from ..qa import Focus, quote_text, rank_sentences, word_share, word_weights
from ..qa.coverage import focus_words
from .results import Statement, ToolResult

# A paragraph or list item that opens with an italic or bold label names a part of its own: "*Limitations.* Our
# ...", "**Research Mindset and Publication:** ..."
_LEAD_LABEL = re.compile(r"^\s*(?:\*{1,2})([A-Z][^*.:]{2,60})[.:]?(?:\*{1,2})")
_KIND = re.compile(r"\b(figures?|fig\.?|diagram|chart|plot|tables?)(?!\s*\d)", re.I)
_EXPLICIT = re.compile(r"\b(section|sec\.?|§|figure|fig\.?|table)\s*(\d+)\b", re.I)
ARCHETYPE_SECTION = "6"


@dataclass(frozen=True)
class Part:
    name: str  # "Abstract", "Section 7: Conclusion", "Limitations", "Figure 4", "Table 1"
    key: str  # what an explicit mention matches: "section 7", "figure 4"
    passages: tuple[Passage, ...]
    item: bool = False  # a labelled item of a section's list ("Research Mindset and Publication")


def paper_parts(passages: Sequence[Passage]) -> list[Part]:
    paper = [p for p in passages if p.doc == "paper" and p.kind != PassageKind.REFERENCE]
    parts: list[Part] = []
    sections: dict[str, list[Passage]] = {}
    for p in paper:
        if p.kind not in (PassageKind.TABLE_ROW, PassageKind.CAPTION):
            sections.setdefault(p.section, []).append(p)
    for section, members in sections.items():
        title = members[0].section_title
        name = section if not section.isdigit() else f"Section {section}: {title}"
        parts.append(Part(name, f"section {section}".lower(), tuple(members)))
    for p in paper:
        if p.kind == PassageKind.CAPTION:
            number = re.search(r"(Fig\.|Table)\s*(\d+)", p.text)
            if number:
                word = "Figure" if number.group(1) == "Fig." else "Table"
                parts.append(Part(f"{word} {number.group(2)}", f"{word} {number.group(2)}".lower(), (p,)))
        label = _LEAD_LABEL.match(p.text)
        if label and p.kind in (PassageKind.PARAGRAPH, PassageKind.BULLET):
            # the whole paragraph: every window it was indexed in (paper:7:02.0, paper:7:02.1, ...)
            windows = tuple(w for w in paper if w.paragraph == p.paragraph)
            name = label.group(1).strip()
            parts.append(Part(name, name.lower(), windows, item=p.kind == PassageKind.BULLET))
    return parts


def paragraph_topic(passage: Passage, blocks: Sequence[Passage]) -> str:
    """What the paragraph holding a passage is about, by the paper's own label for it: a labelled paragraph
    ("Limitations", "Team structure trends") or a Section 6 archetype ("Vertical-AI and SaaS product companies");
    "" for any other. `blocks`: the paper's passages in reading order (the paragraph's first window opens it)."""
    opening = next((b for b in blocks if b.paragraph == passage.paragraph), passage)
    label = _LEAD_LABEL.match(opening.text)
    if label:
        return label.group(1).strip()
    return (archetype_label(opening.text) or "") if opening.section == ARCHETYPE_SECTION else ""


def choose_part(
    request: str, parts: Sequence[Part], embedder, idf: Mapping[str, float] | None = None
) -> tuple[Part | None, float]:
    """An explicit "Section 7" / "Figure 4" / "Table 1" wins. Otherwise each part scores by how close its
    name (or its description, prompts.PART_DESCRIPTIONS) is to the request ("the limitations") plus how well
    its best sentence answers it ("what does the paper list as future work?" is about the sentence, whatever
    the part is called). Returns the part and the closeness of its name (the tool's strength)."""
    # The last mention wins: a condensed follow-up ends with what the person asks about now.
    explicit = ([None] + list(_EXPLICIT.finditer(request)))[-1]
    if explicit:
        word = explicit.group(1).lower()
        word = "section" if word.startswith(("sec", "§")) else "figure" if word.startswith("fig") else "table"
        key = f"{word} {explicit.group(2)}"
        for part in parts:
            if part.key == key:
                return part, 1.0
    named = named_parts(request, parts)
    if named:
        return named[0], 1.0
    # "is there a figure showing ...": one of the figures, whichever caption answers it
    kind = _KIND.search(request)
    if kind:
        word = "Table" if kind.group(1).lower().startswith("tab") else "Figure"
        parts = [part for part in parts if part.name.startswith(word)] or parts
    if not parts:
        return None, 0.0
    names = [part.name for part in parts]
    vectors = encode_cached(embedder, [request, *names, *(prompts.PART_DESCRIPTIONS.get(n, n) for n in names)])
    name_sims = vectors[1 : 1 + len(parts)] @ vectors[0]
    described_sims = vectors[1 + len(parts) :] @ vectors[0]
    passages = list({p.id: p for part in parts for p in part.passages}.values())
    best_sentence: dict[str, float] = {}
    for n, _, _, score in rank_sentences(
        request, [Evidence(p, 0.0, ()) for p in passages], embedder, dict(idf or {}), order_bonus=0.0
    ):
        pid = passages[n - 1].id
        best_sentence[pid] = max(best_sentence.get(pid, -1.0), score)
    scores = [
        float(described_sims[i]) + max((best_sentence.get(p.id, -1.0) for p in part.passages), default=-1.0)
        for i, part in enumerate(parts)
    ]
    best = int(np.argmax(scores))
    return parts[best], float(name_sims[best])


# what a question calls any part of the paper ("which section is that in?" names none of them)
# a part of the paper by kind ("which section", "the intro"), or the paper itself ("the paper", not "that paper",
# which after an answer about a cited work is that work)
_CALLS_THE_PAPER = re.compile(r"\b(?:sections?|sec|chapters?|abstract|intro|introduction|(?:the|this)\s+paper)\b", re.I)
_PART_KINDS = re.compile(r"\b(?:sections?|sec|parts?|chapters?|figures?|figs?|tables?|paper|text)\b", re.I)


# "its abstract", "their conclusion": a part of whatever "it" is, which after an answer about a cited work is that
# work, not the paper
_PART_OF_IT = re.compile(
    r"\b(?:its|their)\s+(?:own\s+)?(?:abstract|intro|introduction|conclusions?|limitations|figures?|tables?)\b", re.I
)


def names_a_part_of_it(request: str) -> bool:
    """Whether the request asks for a part of something it calls "it" ("does its abstract say so?")."""
    return bool(_PART_OF_IT.search(request))


# "the caption", "the figure": a part called by its kind alone, as one does of the part just read
_THE_PART = re.compile(r"\bthe\s+(?:caption|figure|fig|diagram|chart|section|paragraph)\b(?!\s*\d)", re.I)


def calls_back_a_part(request: str) -> bool:
    """Whether the request calls a part by its kind and no number ("what tooling does the caption list?")."""
    return bool(_THE_PART.search(request)) and not names_a_part(request)


def names_nothing_but_a_kind(request: str) -> bool:
    """Whether the request's topic words are only what it calls a part ("which section is that in?"): it asks
    where something said before is, not for a part it describes."""
    return not focus_words(_PART_KINDS.sub(" ", request))


def describes_a_figure(request: str) -> bool:
    """Whether the request asks for a figure or table by what it shows, not by number ("the team topology one,
    which fig is that?")."""
    return bool(_KIND.search(request)) and not names_a_part(request)


def names_a_figure(request: str) -> bool:
    """Whether the request names a figure by its number ("fig 4", "Figure 2")."""
    return any(m.group(1).lower().startswith("fig") for m in _EXPLICIT.finditer(request))


def names_a_part(request: str) -> bool:
    """Whether the request names a part of the paper by its number ("sec 6", "figure 4", "Table 1")."""
    return bool(_EXPLICIT.search(request))


def names_any_part(request: str, parts: Sequence[Part]) -> bool:
    """Whether the request calls the paper or some part of it: by number, by its own name, by a kind of part
    ("what's that paper actually about?" after an answer about a cited work calls none: it asks about the work;
    "where does the paper bring it up?" asks where in the paper)."""
    return bool(
        names_a_part(request)
        or named_parts(request, parts)
        or _KIND.search(request)
        or _CALLS_THE_PAPER.search(request)
    )


def named_parts(request: str, parts: Sequence[Part]) -> list[Part]:
    """The parts the request calls by their own name, every word of it in some form ("the limitations the
    authors acknowledge", "what's in the conclusion"), the most specific (longest) name first."""
    asked = set(content_words(request))
    # a numbered name keeps its number: "a figure" names none of Figures 1-4 (content words drop "1")
    names = [(part, part.name.split(":", 1)[-1]) for part in parts]
    titles = [(part, set(content_words(name)) | set(re.findall(r"\b\d+\b", name))) for part, name in names]
    named = [(part, words) for part, words in titles if words and words <= asked]
    return [part for part, words in sorted(named, key=lambda pair: -len(pair[1]))]


def quote_sentences(
    request: str,
    passages: Sequence[Passage],
    embedder,
    limit: int,
    idf: Mapping[str, float] | None = None,
    reading_order_bonus: float = 0.0,
    focus: Focus | None = None,
    keep: Callable[[str], bool] | None = None,
) -> list[Statement]:
    """The passages' sentences that best answer the request (qa.rank_sentences, the answer engine's own
    ranking), plus any that `keep` says the answer always carries, as quotes in reading order."""
    ranked = rank_sentences(
        request,
        [Evidence(p, 0.0, ()) for p in passages],
        embedder,
        dict(idf or {}),
        order_bonus=reading_order_bonus,
        focus=focus,
    )
    chosen = sorted((r for r in ranked if len(r[2].split()) >= 5), key=lambda r: -r[3])[:limit]
    if keep is not None:
        chosen += [r for r in ranked if keep(r[2]) and r not in chosen]
    return [
        quote_statement(passages[n - 1], sentence, score)
        for n, _, sentence, score in sorted(chosen, key=lambda r: (r[0], r[1]))
    ]


def quote_statement(passage: Passage, sentence: str, score: float) -> Statement:
    """A sentence of a passage, quoted as it reads there."""
    quote = quote_text(sentence).strip("“”")
    return Statement(prompts.QUOTE.format(quote=quote), (passage.id,), (quote,), quote=True, score=score)


def read_section(
    request: str,
    parts: Sequence[Part],
    embedder,
    limit: int,
    idf: Mapping[str, float] | None = None,
    focus: Focus | None = None,
    outline_similarity: float = 1.0,
) -> ToolResult:
    """The part the request names or is about, its sentences ranked for the request (and, in a follow-up,
    for its own words, below what the previous answer already quoted: `focus`)."""
    part, strength = choose_part(request, parts, embedder, idf)
    if part is None:
        return ToolResult("paper_section", {"request": request}, summary="no such part of the paper")
    # A labelled paragraph inside a section ("Limitations" in the conclusion) is a part of its own; reading
    # the section leaves it out. Earlier sentences of a part weigh a little more: they state its gist.
    # (A list's items are the section's own text: reading it reads them, and names them.)
    inner = [o for o in parts if o is not part and len(o.passages) < len(part.passages)]
    own = [p for p in part.passages if not any(p in o.passages for o in inner if not o.item)] or part.passages
    statements = quote_sentences(request, own, embedder, limit, idf, reading_order_bonus=0.05, focus=focus)
    if part.name.startswith(("Figure", "Table")):  # a caption is read whole, its short title too
        statements = [caption_statement(part.name, p) for p in part.passages]
    items = [o for o in inner if o.item and o.passages and o.passages[0] in part.passages]
    # the outline of a part the request names ("which skills does Section 3 list?"), unless the previous answer
    # gave it: a follow-up asks something of the part
    outline = list_items(part, items) if strength >= outline_similarity else []
    if focus is not None and any(o.text in said for o in outline for said in focus.said):
        outline = []
    where = where_it_is(part, statements) if ASKS_WHERE.search(request) else []
    # a numbered section asked about as a whole ("whats section 5 about?"): its heading says what it is about,
    # after the list of what it holds when it has one
    heading = (
        section_heading(part, statements)
        if not where and part.name.startswith("Section") and strength >= outline_similarity
        else []
    )
    return ToolResult(
        tool="paper_section",
        arguments={"request": request, "part": part.name},
        statements=tuple(where + outline + heading + statements),
        passages=part.passages,
        summary=f"read {part.name}",
        strength=strength,
        section=part.passages[0].section if part.passages else "",
    )


def caption_statement(name: str, caption: Passage) -> Statement:
    """A caption quoted whole, without its label ("Fig. 3:"): its first sentence is the figure's title
    ("Cross-functional team topology."), too short to be ranked as an answer sentence, but what it shows."""
    text = strip_citations(strip_markdown(caption.text)).strip()
    text = re.sub(r"^(?:Fig\.|Figure|Table)\s*\d+:\s*", "", text)
    return Statement(
        prompts.CAPTION_READS.format(part=name, caption=text), (caption.id,), (text,), quote=True, score=1.0
    )


def read_from_start(part: Part, limit: int, name_it: bool = False) -> ToolResult:
    """A part read from its first sentence on: a question that names only the part ("what does an ML engineer
    do?" of a role's definition) asks what it says, and a definition says its gist first. `name_it`: the
    question did not name the part ("whats the first one?"), so the answer says which it is."""
    sentences = [(p, s) for p in part.passages for s in split_sentences(p.text) if len(s.split()) >= 5][:limit]
    statements = []
    if name_it and part.passages and part.name in part.passages[0].text:
        statements.append(Statement(prompts.PART_NAMED.format(name=part.name), (part.passages[0].id,), (part.name,)))
    for passage, sentence in sentences:
        statements.append(quote_statement(passage, sentence, 1.0 - 0.01 * len(statements)))
    return ToolResult(
        tool="paper_section",
        arguments={"request": part.name, "part": part.name},
        statements=tuple(statements),
        passages=part.passages,
        summary=f"read {part.name}",
        strength=1.0,
        section=part.passages[0].section if part.passages else "",
    )


# A request for where something is in the paper ("which section covers team structures?", "where does the paper
# discuss it?"): the answer says which section, as well as what it says.
ASKS_WHERE = re.compile(
    r"\b(?:which|what|in which|in what)\s+(?:sections?|parts?|chapters?)\b|\bwhere (?:in|does|is)\b", re.I
)


def where_it_is(part: Part, quotes: Sequence[Statement]) -> list[Statement]:
    """Which numbered section of the paper the part is, or is in, by its heading ("which section covers team
    structures?"), said first and cited to the passage of the best quote (the heading is the context of every
    passage of the part, which the composer checks values against); nothing for the abstract and front matter."""
    first = part.passages[0] if part.passages else None
    if first is None or not first.section.isdigit() or not quotes:
        return []
    cited = max(quotes, key=lambda q: q.score).passage_ids
    title = first.section_title
    text = (
        prompts.SECTION_IS.format(number=first.section, title=title)
        if part.name.startswith("Section")
        else prompts.PART_IN_SECTION.format(part=part.name, number=first.section, title=title)
    )
    return [Statement(text, cited, (title,), score=2.0)]


def section_heading(part: Part, quotes: Sequence[Statement]) -> list[Statement]:
    """A numbered section's heading ("Section 5 of the paper is headed “Scaling AI Infrastructure …”"), cited
    to the passage of the best quote, as where_it_is is."""
    first = part.passages[0] if part.passages else None
    if first is None or not first.section.isdigit() or not quotes:
        return []
    cited = max(quotes, key=lambda q: q.score).passage_ids
    text = prompts.SECTION_HEADED.format(number=first.section, title=first.section_title)
    return [Statement(text, cited, (first.section_title,), score=2.0)]


def list_items(part: Part, items: Sequence[Part], least: int = 3) -> list[Statement]:
    """What a section's list holds, by its items' labels ("Section 3 lists 7: Distributed Systems and Scalable
    Infrastructure; ..."), each cited to its item: the outline a question about the section as a whole wants
    ("which shared skills does Section 3 list?"). Nothing for a part with fewer than `least` items."""
    if len(items) < least:
        return []
    return [
        Statement(
            prompts.SECTION_ITEMS.format(
                part=part.name.split(":")[0], count=len(items), items="; ".join(o.name for o in items)
            ),
            tuple(o.passages[0].id for o in items),
            tuple(o.name for o in items),
            score=1.5,
        )
    ]


def archetype_paragraphs(passages: Sequence[Passage]) -> list[tuple[Passage, ...]]:
    """Section 6's paragraphs, each as the passage windows it was indexed in (paper:6:03.0, paper:6:03.1, ...)."""
    groups: dict[str, list[Passage]] = {}
    for p in passages:
        if p.doc == "paper" and p.section == ARCHETYPE_SECTION and p.kind == PassageKind.PARAGRAPH:
            groups.setdefault(p.paragraph, []).append(p)
    return [tuple(g) for g in groups.values()]


def archetype_name(paragraph: Sequence[Passage]) -> str:
    """An archetype as its paragraph names it: the opening sentence ("Big-tech product organizations resemble
    vertical SaaS at extreme scale")."""
    return paragraph[0].text.split(". ")[0] if paragraph else ""


def archetype_quoted(answer: str, paragraphs: Sequence[Sequence[Passage]]) -> tuple[Passage, ...] | None:
    """The archetype an answer was about: the paragraph it quoted first and more than any other (an answer
    listing every archetype quotes each once, and one opening with the section's first or last paragraph, which
    speak of every archetype, is about them all: about none of them)."""
    text = " ".join(answer.lower().split())
    counts, first = {}, {}
    for i, group in enumerate(paragraphs):
        for passage in group:
            for sentence in split_sentences(strip_markdown(strip_citations(passage.text))):
                at = text.find(" ".join(sentence.lower().split())[:60])
                if len(sentence) > 20 and at >= 0:
                    counts[i] = counts.get(i, 0) + 1
                    first[i] = min(first.get(i, at), at)
    if not counts:
        return None
    lead = min(first, key=first.get)
    general = (0, len(paragraphs) - 1) if len(paragraphs) > 3 else ()
    if lead in general or counts[lead] < 2 or any(counts[i] >= counts[lead] for i in counts if i != lead):
        return None
    return tuple(paragraphs[lead])


def name_words(paragraph: Sequence[Passage]) -> set[str]:
    """The content words of an archetype's name ("Frontier model labs")."""
    name = archetype_label(paragraph[0].text) if paragraph else None
    return set(content_words(name)) if name else set()


def named_share(request: str, paragraph: Sequence[Passage], idf: Mapping[str, float] | None = None) -> float:
    """How much of the archetype's name ("Vertical-AI and SaaS product companies") the request uses,
    IDF-weighted: a paragraph is about the archetype its opening names, not every one it mentions ("Big-tech
    product organizations resemble vertical SaaS")."""
    name = archetype_label(paragraph[0].text) if paragraph else None
    return word_share(word_weights(name, idf=idf), request) if name else 0.0


# a request for the kinds of organisations, not for one ("what types of employers does the paper sort them into?")
_ASKS_KINDS = re.compile(r"\b(?:types|kinds|sorts|categories|classes)\s+of\b|\barchetypes\b", re.I)
# the share of an archetype's name a request uses to name it ("frontier labs": 0.86 of "Frontier model labs")
NAMED_SHARE = 0.4


def read_archetypes(
    request: str,
    paragraphs: Sequence[tuple[Passage, ...]],
    embedder,
    limit: int,
    idf: Mapping[str, float] | None = None,
    name_weight: float = 0.0,
) -> ToolResult:
    """One archetype when the request names one (its paragraph's best sentences for the request); else each
    archetype's opening sentence, so "what kinds of organisations" gets the whole list."""
    if not paragraphs:
        return ToolResult("archetypes", {"request": request}, summary="Section 6 not found")
    # Each paragraph scores by its sentence that best answers the request; one clear winner means the
    # request is about that archetype, a close field means it asks about the archetypes as a whole.
    windows = [p for group in paragraphs for p in group]
    group_of = {p.id: i for i, group in enumerate(paragraphs) for p in group}
    best = np.full(len(paragraphs), -1.0)
    for n, _, _, score in rank_sentences(
        request, [Evidence(p, 0.0, ()) for p in windows], embedder, dict(idf or {}), order_bonus=0.0
    ):
        i = group_of[windows[n - 1].id]
        best[i] = max(best[i], score)
    shares = np.array([named_share(request, group, idf) for group in paragraphs])
    best += name_weight * shares
    # The section's opening and closing paragraphs speak of every archetype: they are not candidates.
    candidates = list(range(1, len(paragraphs) - 1)) if len(paragraphs) > 3 else list(range(len(paragraphs)))
    order = sorted(candidates, key=lambda i: -best[i])
    names_one = float(shares[candidates].max()) >= NAMED_SHARE
    # "which section is the org archetype stuff in?": all of them; "where does a Global 2000 bank sit in
    # Section 6?" names one
    asks_where = bool(ASKS_WHERE.search(request)) and not names_one
    # "what kinds of companies does the paper describe?": the list, unless the request names one of them
    asks_kinds = bool(_ASKS_KINDS.search(request)) and not names_one
    focused = (
        not asks_where
        and not asks_kinds
        and (float(best[order[0]] - best[order[1]]) > 0.05 if len(order) > 1 else True)
    )
    # "how do frontier labs ... compared with the foundation-model platforms?": the two it names, each read
    named = [i for i in order if shares[i] >= NAMED_SHARE][:2]
    if len(named) == 2 and not (name_words(paragraphs[named[1]]) - name_words(paragraphs[named[0]])) & set(
        content_words(request)
    ):
        named = named[:1]  # "open source / academic labs": "labs" is named by the first ("... and academic labs")
    # The opening and closing paragraphs answer a request about the archetypes as a whole ("what's the
    # synthesis at the end of sec 6?") better than any one archetype's own: then they are quoted, before the
    # list of archetypes when the request asks about all of them alike
    general = [i for i in range(len(paragraphs)) if i not in candidates]
    overview = [p for i in general for p in paragraphs[i]]
    overall = bool(general) and not asks_where and max(best[i] for i in general) > best[order[0]]
    if len(named) == 2 and not asks_where:
        statements = [
            replace(statement, score=float(best[i]))
            for i in named
            for statement in quote_sentences(request, paragraphs[i], embedder, (limit + 1) // 2, idf)
        ]
        what = "two archetypes"
    elif overall and focused:
        statements = quote_sentences(request, overview, embedder, limit, idf)
        what = "the archetypes as a whole"
    elif focused:
        # what the tool is for: where the archetype sits and whom it hires, whatever else the request asks
        statements = quote_sentences(request, paragraphs[int(order[0])], embedder, limit, idf, keep=places_archetype)
        what = "one archetype"
    else:
        statements = []
        for i in candidates:  # the archetypes' own paragraphs: the opening and the synthesis name none
            group = paragraphs[i]
            opening = archetype_name(group)
            # each opening is ranked by how well its paragraph answers the request, not by matching itself
            statements += [
                replace(s, score=float(best[i])) for s in quote_sentences(opening, group[:1], embedder, 1, idf)
            ]
        statements = statements[: max(limit, len(candidates))]
        if overall:
            statements = quote_sentences(request, overview, embedder, 2, idf) + statements
        what = "every archetype"
    first = paragraphs[0][0]
    if asks_where and statements and first.section.isdigit():
        where = prompts.ARCHETYPES_IN_SECTION.format(number=first.section, title=first.section_title)
        statements = [Statement(where, (first.id,), (first.section_title,), score=2.0), *statements]
    return ToolResult(
        tool="archetypes",
        arguments={"request": request},
        statements=tuple(statements),
        passages=tuple(p for group in paragraphs for p in group),
        summary=f"Section 6: {what}",
        strength=float(best[order[0]]),
        section=ARCHETYPE_SECTION,
    )
