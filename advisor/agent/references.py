"""The references tool: a cited work by number, author, title or topic — who, what, when, the link, what
text we hold of it, and where the paper cites it.

Statements cite the paper's own reference entry and the header of the source file we hold; the filled-in
values (author, year, title, link) are checked against those passages' text.
"""

from __future__ import annotations

import re
from collections.abc import Container, Iterable, Mapping, Sequence

import numpy as np

from ..audit import CitingSentence, citation_pairs, compare_metadata, parse_paper_entry, parse_source_header
from ..core.text import (
    CITATION,
    citation_numbers,
    content_words,
    normalize_for_match,
    normalize_ws,
    shorten,
    spelled_initials,
    split_sentences,
    stem,
    strip_citations,
    strip_markdown,
    words_of,
)
from ..core.types import VERBATIM_KINDS, Evidence, Passage, PassageKind
from ..corpus import Reference, author_phrase
from ..grounding import encode_cached
from ..llm import prompts
from ..qa import Focus, quote_text, rank_sentences
from ..qa.coverage import focus_words
from .results import Reading, Statement, ToolResult
from .sections import ASKS_WHERE, paragraph_topic
from .state import without_role_names

KIND_WORDS = {
    "web-page": "web page",
    "job-posting": "job posting",
    "blog": "blog post",
    "arxiv-paper": "paper",
    "book-chapter": "book chapter",
}


# what a request calls a work of each kind ("his blog post", "that listing", "the book"); not "paper", which is as
# often the paper itself
_CALLED_BY_KIND = {
    "blog": re.compile(r"\bblog", re.I),
    "job-posting": re.compile(r"\b(?:job\s+)?(?:postings?|listings?|job\s+ads?)\b", re.I),
    "book-chapter": re.compile(r"\b(?:book|chapter)\b", re.I),
}


def called_by_kind(request: str, ref: Reference) -> bool:
    """Whether a request calls a work by its kind ("is that quote faithful to his blog post?")."""
    pattern = _CALLED_BY_KIND.get(ref.kind)
    return bool(pattern and pattern.search(request))


def _surnames(ref: Reference) -> list[str]:
    names = []
    for author in ref.authors:
        author = author.replace(".com", "")
        last = author.split(",")[0] if "," in author else author.split()[-1]
        if len(last) > 2:
            names.append(last)
    return names


_SHORT_TITLE = 3  # words: "Memorizing Transformers", "Research Engineering FAQs"


def work_names(ref: Reference) -> list[str]:
    """What people call a work: the one-word name its title leads with ("ZeRO", "QLoRA", "Megatron-LM") and,
    for a compound name, its first part when that is a word of its own ("Megatron"); a title of a few words
    whole ("Memorizing Transformers"); and the names its own text gives it ("Chinchilla")."""
    head, _, rest = ref.title.partition(":")
    if not rest and len(head.split()) <= _SHORT_TITLE and "(" not in head:
        return list(dict.fromkeys([head, *ref.aliases]))  # a title short enough to be typed whole
    if not rest or len(head.split()) != 1:
        return list(ref.aliases)
    first = re.split(r"[-.]", head)[0]
    return list(dict.fromkeys([head, *([first] if first != head and len(first) >= 5 else []), *ref.aliases]))


def _name_pattern(name: str) -> re.Pattern:
    return re.compile(rf"(?<!\w){re.escape(name)}(?!\w)", re.I)


def named_works(text: str, references: Mapping[int, Reference]) -> list[int]:
    """The cited works the text calls by the name their title leads with ("ReAct", "the ZeRO paper")."""
    return [n for n, ref in references.items() if any(_name_pattern(name).search(text) for name in work_names(ref))]


# what a question calls an organisation's own document: "OpenAI's posting", "the Amazon listing", "their careers page"
_DOCUMENT = re.compile(
    r"\b(?:postings?|listings?|job (?:description|ad|post)s?|careers? page|blog(?: post)?s?|articles?|faqs?)\b", re.I
)


def names_a_document(text: str) -> bool:
    """Whether a question calls something a document (a posting, a listing, a careers page, a blog post)."""
    return bool(_DOCUMENT.search(text))


# what a speaker does with words: "what does Anthropic say about ...", "how does OpenAI describe the role?"
_SAYS = r"(?:say|says|said|write|writes|wrote|state|states|claim|claims|describe|describes|put it|puts it|tell|tells)"


def an_organisation_speaks(text: str, organisations: Iterable[str]) -> bool:
    """Whether a question asks what an organisation itself says ("what does anthropic say about the line between
    research and engineering?", "according to OpenAI, ..."): its own pages answer, not the paper's account of it.
    The organisation itself speaks ("anthropic actually says"), not someone of it ("what does amazon leadership say":
    a blog post by a person)."""
    for name in organisations:
        named = rf"(?<![\w-]){re.escape(name)}(?![\w-])"
        if re.search(rf"{named}\s+(?:itself\s+|\w+ly\s+)?{_SAYS}\b|\baccording to\s+{named}", text, re.I):
            return True
    return False


def work_alone(text: str, ref: Reference) -> bool:
    """Whether a question names the cited work (by its name or an author's surname) and asks nothing else of
    it ("whats react?", "what does voyager actually do?", "whats hinton's distillation paper about?": its other
    words are its title's): it asks what the work is, which the reference lookup answers (who, when, and its own
    text read from the start), not a passage search for words the question does not have."""
    rest = text
    for name in sorted(work_names(ref), key=len, reverse=True):
        rest = _name_pattern(name).sub(" ", rest)
    if rest != text:  # called by its name, any other word asks something of it ("what tools does toolformer use")
        return not focus_words(rest)
    if ref.kind != "arxiv-paper":
        return False  # a posting or a page is called by its organisation, the employer a question is about
    for surname in _surnames(ref):
        rest = _name_pattern(surname).sub(" ", rest)
    # called by an author, the words of its title say which of their works it is ("hinton's distillation paper")
    title = {stem(w) for w in content_words(ref.title)}
    return rest != text and all(stem(w) in title for w in focus_words(rest))


# "the agent tooling part", "that section": where in the paper, not a topic ("the point in Section 3" is one)
_PLACE = re.compile(
    r"\b(?:the|that|this)\s+(?:(?!(?:in|of|on|about|for)\b)[\w-]+\s+){0,2}(?:part|paragraph|section|passage|bit)\b",
    re.I,
)
# Words that ask for citations, or say where in the paper, rather than name what they are for ("which refs does
# the agent-frameworks paragraph use for planners?")
CITATION_WORDS = frozenset(
    "cite cites cited citing ref refs reference references work works paper papers section paragraph sentence".split()
)


def cited_for(request: str, citing: Sequence[CitingSentence], embedder, margin: float) -> tuple[list[int], float]:
    """What the paper cites for a topic ("What does the paper cite for scaling laws?"): the citation whose
    attributed words (the audit's cut: the cited term, clause or sentence) are closest to the request, with
    every other citation of the same sentence within `margin` of it ("planners [21] and tool [25]
    registries"), in the sentence's order; and the best similarity."""
    pairs = [pair for sentence in citing for pair in citation_pairs(sentence)]
    if not pairs or not request.strip():
        return [], 0.0
    words = [strip_citations(strip_markdown(p.attributed)).strip() or p.sentence.text for p in pairs]
    # the topic alone is compared: "for evaluation, which sources does the paper cite?" is about evaluation,
    # and its asking words ("sources", "paper", "cite") are closest to a sentence about authors of papers; "the
    # agent tooling part cites some eval benchmarks" says where the citations are, and what they are for
    topic = " ".join(w for w in focus_words(_PLACE.sub(" ", request)) if w not in CITATION_WORDS) or request
    vectors = encode_cached(embedder, [topic] + words)
    # a shorthand the request uses for the cited words ("RLHF") names them as surely as their own words
    sims = np.array(
        [1.0 if spelled_initials(request, w) else float(s) for w, s in zip(words, vectors[1:] @ vectors[0])]
    )
    best = int(np.argmax(sims))
    sentence = pairs[best].sentence.start
    asked = set(content_words(request))
    chosen = [
        (p.marker_start, p.ref)
        for p, w, sim in zip(pairs, words, sims)
        # close in meaning, or its cited words are the request's own ("tool [25] registries" for "tool registries")
        if p.sentence.start == sentence and (float(sim) >= float(sims[best]) - margin or set(content_words(w)) <= asked)
    ]
    return list(dict.fromkeys(ref for _, ref in sorted(chosen))), float(sims[best])


YEAR = re.compile(r"\b((?:19|20)\d\d)\b")  # a year a request names
_AGE = re.compile(r"\b(?:(?P<old>oldest|earliest|older)|newest|latest|most recent|newer)\b", re.I)


def by_age_asked(request: str, refs: Sequence[int], references: Mapping[int, Reference]) -> list[int]:
    """`refs` oldest first for "the older paper cited with it", newest first for "the newer one"; as they are
    when the request asks no age (a work of no known year last)."""
    age = _AGE.search(request)
    if not age:
        return list(refs)
    old = bool(age.group("old"))
    return sorted(refs, key=lambda n: (references[n].year is None, (references[n].year or 0) * (1 if old else -1)))


def names_author(request: str, surname: str, common: Container[str] = ()) -> bool:
    """Whether the request uses the surname: in any case ("huyen's book"), unless it is also a common word
    (`common`, lower case: "the guy who wrote it" names no Guy), which only its capital names."""
    flags = 0 if surname.lower() in common else re.I
    return bool(re.search(rf"\b{re.escape(surname)}\b", request, flags))


def names_an_author(request: str, ref: Reference, common: Container[str] = ()) -> bool:
    """Whether the request names one of the work's authors. A person who leads the author list is named in
    any case: a work is called by its first author ("the kaplan abstract", "hoffmann et al"), however common
    a word the surname is in the encoder's vocabulary; the others, and organisations ("meta"), as above."""
    lead = _lead_person(ref)
    return any(names_author(request, s, () if s == lead else common) for s in _surnames(ref))


def _lead_person(ref: Reference) -> str:
    """The surname of the work's first author when that is a person ("Jared Kaplan"), not an organisation."""
    first = ref.authors[0].strip() if ref.authors else ""
    return first.split()[-1] if len(first.split()) > 1 and "," not in first else ""


def named_references(
    request: str, references: Mapping[int, Reference], common: Container[str] = ()
) -> tuple[list[int], Reading]:
    """The works a request names by an author's surname, else by the work's own name ("the ZeRO paper"); no
    similarity is computed."""
    by_author = [n for n, ref in references.items() if names_an_author(request, ref, common)]
    # a person named is more particular than an organisation ("openai's gpt-3 … does the kaplan abstract say
    # that?" asks of Kaplan's paper, not of OpenAI's posting)
    by_author.sort(key=lambda n: not _lead_person(references[n]))
    if by_author:
        return by_author[:3], Reading.AUTHOR
    by_name = named_works(request, references)
    return (by_name[:3], Reading.NAME) if by_name else ([], Reading.NONE)


def written_by_named_people(
    request: str, references: Mapping[int, Reference], common: Container[str] = ()
) -> list[int]:
    """The works a request names by a person who wrote them ("which OpenAI paper does Huyen name?": Huyen's
    book chapter, not OpenAI's posting): an organisation's name is not a person's."""
    named, reading = named_references(request, references, common)
    return [n for n in named if reading == Reading.AUTHOR and _lead_person(references[n])]


_CITES = re.compile(
    r"\b(?:cites?|cited|citing|points? to|backs?|backed|supports?|supported|rel(?:y|ies|ied|ying) on)\b", re.I
)


# "why does the paper cite it?", "what does it cite it for?"
_WHY_CITED = re.compile(r"\bwhy\b.*\bcit(?:e|es|ed|ing)\b|\bcites?\s+(?:it|this|that|them)\s+for\b", re.I)


def asks_where_cited(request: str) -> bool:
    """Whether a request asks where or why the paper cites a work ("in which section is it cited?")."""
    return bool(ASKS_WHERE.search(request) or _WHY_CITED.search(request))


# "who said it?", "whose quote is that?": the speaker of words the paper quotes is the work it cites for them
_WHO_SAID = re.compile(r"\bwho(?:se)?\b[^?]*?\b(?:said|says|say|quotes?|quoted|noted|put it)\b", re.I)
# "what does the paper quote from Amazon's AI leadership ...?": words the paper quotes, from a work it cites for them
_QUOTES = re.compile(r"\b(?:quotes?|quoted|quotations?)\b", re.I)
# how much closer a work's title may be than the sentence citing a work for the quote, and the quote still win: a
# title names the work only when clearly closer ("who wrote the research engineering FAQ blog the paper quotes?")
_SPEAKER_MARGIN = 0.05


def asks_cited(request: str) -> bool:
    """Whether a request asks what the paper cites ("which benchmarks does the agent-tooling part cite?")."""
    return bool(_CITES.search(request))


# "the other one cited next to it", "another source they cite there", "the other Amazon posting": a work beside
# the one talked about
_ANOTHER_WORK = re.compile(
    r"\b(?:the\s+other|another)\s+(?:[\w-]+\s+){0,2}?"
    r"(?:one|work|paper|source|ref|reference|citation|post|posting|listing|article)\b",
    re.I,
)


# "which other cited paper shares its first author?", "anything else by the same authors?"
_SAME_AUTHOR = re.compile(
    r"\b(?:(?:the\s+)?same\s+(?:first\s+|lead\s+)?authors?|shares?\s+(?:an?|its|the|any|their)\s+(?:first\s+|lead\s+)?"
    r"authors?|authors?\s+in\s+common|(?:also|else)\s+(?:wrote|written\s+by|by\s+(?:him|her|them)))\b",
    re.I,
)


# The fields of a reference a follow-up asks for ("who's the first author?", "what year?", "its arxiv id?"): words
# that ask about a work without saying what it is about
_ASKS_A_FIELD = re.compile(
    r"\b(?:(?:first|lead|last|co-?)\s*)?(?:authors?|authored|wrote|written|writers?|years?|published|publication|"
    r"venue|journal|conference|titled?|link|url|arxiv|doi|ids?|cited|cites?|citations?|refs?|references?|"
    r"papers?|works?|sources?|articles?|posts?|ones?|entry|entries)\b",
    re.I,
)


# "what's her role at amazon?", "who is he?": the person who wrote the work the conversation is about, whom its
# reference entry and our copy's header describe
_ABOUT_THE_AUTHOR = re.compile(
    r"\b(?:her|his)\s+(?:job|role|position|title|background|affiliation|employer)s?\b"
    r"|\bwho\s+(?:is|was)\s+(?:she|he)\b|\bwhere\s+(?:does|did)\s+(?:she|he)\s+work\b",
    re.I,
)


def asks_about_the_author(request: str) -> bool:
    """Whether a follow-up asks about the person who wrote the work ("and what's her job there?")."""
    return bool(_ABOUT_THE_AUTHOR.search(request))


def asks_a_field(request: str) -> bool:
    """Whether a request asks for a field of a work's entry ("what venue was it at?", "who wrote it?")."""
    return bool(_ASKS_A_FIELD.search(request))


def names_a_topic(request: str) -> bool:
    """Whether a follow-up says what a work is about ("it mentions distillation for compression — which ref is
    that?"), besides the fields it asks for and the roles every cited work is about ("who's the first author?",
    "who is that research engineer?" name no topic)."""
    return bool(focus_words(_ASKS_A_FIELD.sub(" ", without_role_names(request))))


_FIRST_AUTHOR = re.compile(r"\b(?:first|lead)\s+authors?\b", re.I)


def asks_same_author(request: str) -> bool:
    """Whether a request asks for the other works of a work's authors."""
    return bool(_SAME_AUTHOR.search(request))


def sharing_authors(n: int, request: str, references: Mapping[int, Reference]) -> list[tuple[int, tuple[str, ...]]]:
    """The other cited works with an author of reference `n` (as the entries spell the names: Mike Lewis is not
    Patrick Lewis), with the names they share; those sharing its first author first, then by number. Only those
    when the request asks for its first (or lead) author."""
    mine = references[n].authors
    shared = [(m, tuple(a for a in mine if a in ref.authors)) for m, ref in references.items() if m != n]
    first_only = bool(_FIRST_AUTHOR.search(request))
    shared = [(m, names) for m, names in shared if names and (not first_only or names[0] == mine[0])]
    return sorted(shared, key=lambda pair: (mine[:1] != pair[1][:1], pair[0]))


def shared_author_statements(
    n: int,
    sharing: Sequence[tuple[int, tuple[str, ...]]],
    references: Mapping[int, Reference],
    entries: Mapping[int, Passage],
    headers: Mapping[int, Passage],
) -> list[Statement]:
    """Which works share an author with reference `n`, each cited to both sources' headers (which spell the
    names in full) and the other's reference-list entry; or that none does, cited to its entry."""
    if not sharing:
        cited = tuple(p.id for p in (entries.get(n),) if p is not None)
        return [Statement(prompts.REFERENCE_SHARES_NO_AUTHOR.format(n=n), cited, (), score=1.2)] if cited else []
    out = []
    for rank, (m, names) in enumerate(sharing):
        cited = tuple(p.id for p in (entries.get(m), headers.get(m), headers.get(n)) if p is not None)
        text = prompts.REFERENCE_SHARES_AUTHOR.format(
            other=m, title=references[m].title, names=" and ".join(names), n=n
        )
        out.append(Statement(text, cited, (references[m].title, *names), score=1.2 - 0.01 * rank))
    return out


# "the paper cited with it", "what's cited next to it there?": a work by where the paper cites it
_CITED_BESIDE = re.compile(r"\bcited\s+(?:right\s+)?(?:next\s+to|with|beside|alongside|together\s+with)\b", re.I)

# "the minecraft one", "that kNN paper": a work called by a word of its own
_DESCRIBED_WORK = re.compile(
    r"\b(?:the|that|this)\s+(?!other\b|same\b|first\b|second\b|third\b|last\b|next\b)(?:[\w-]+\s+){1,2}?"
    r"(?:one|paper|work)\b",
    re.I,
)


def describes_a_work(request: str) -> bool:
    """Whether a follow-up calls a work by a word of its own ("and the minecraft one?")."""
    return bool(_DESCRIBED_WORK.search(request))


def asks_another_work(request: str) -> bool:
    """Whether a follow-up asks for a work other than the one the conversation was about."""
    return bool(_ANOTHER_WORK.search(request))


def asks_cited_beside(request: str) -> bool:
    """Whether a follow-up asks for the work the paper cites beside the one the conversation was about."""
    return bool(_CITED_BESIDE.search(request))


def co_cited(refs: Sequence[int], citing: Sequence[CitingSentence]) -> list[int]:
    """The works the paper cites in the same sentences as `refs` ("[9, 10](data and model parallel training)"):
    those in the same marker first ("scaling laws [17, 18] or RLHF [19, 20]": 19 beside 20), then the rest of
    the sentence, each in the order the paper first cites them beside one of `refs`."""
    wanted = set(refs)
    markers = [
        citation_numbers(m.group(1))
        for sentence in citing
        if wanted & set(sentence.refs)
        for m in CITATION.finditer(sentence.text)
    ]
    same_marker = [n for numbers in markers if wanted & set(numbers) for n in numbers if n not in wanted]
    beside = [n for sentence in citing if wanted & set(sentence.refs) for n in sentence.refs if n not in wanted]
    return list(dict.fromkeys(same_marker + beside))


def match_references(
    request: str,
    numbers: Sequence[int],
    references: Mapping[int, Reference],
    entries: Mapping[int, Passage],
    embedder,
    min_similarity: float,
    citing: Sequence[CitingSentence] = (),
    cited_for_margin: float = 0.15,
    common: Container[str] = (),
) -> tuple[list[int], float, Reading]:
    """The references a request is about, how sure the match is and how it was read: numbers it names, else
    authors whose surname it uses, else works it calls by name ("the ZeRO paper"), else by age ("the oldest reference"),
    else the closer of two readings of a topic (among the works of a year it names: "the 2015 one"): the
    entries whose wording (title, entry) is closest to it, or what the paper cites for it (`cited_for`: all of
    a sentence's citations of it)."""
    if numbers:
        return [n for n in numbers if n in references], 1.0, Reading.NUMBER
    named, how = named_references(request, references, common)
    by_organisation = how == Reading.AUTHOR and not any(_lead_person(references[n]) for n in named)
    if named and by_organisation and (asks_cited(request) or _QUOTES.search(request)):
        # named by an organisation ("the Amazon article the paper relies on for coding being a core skill",
        # "what does the paper quote from Amazon's AI leadership?"): the work the paper cites for what the request
        # says, read among its sentences that name the organisation ("According to Amazon's AI leadership, …"),
        # when that work is none of the organisation's own (Zeng's Amazon Science article, not Amazon's postings)
        organisation = {s.lower() for n in named for s in _surnames(references[n])}
        speaking = [s for s in citing if organisation & set(words_of(s.text))]
        for_topic, topic_best = cited_for(request, speaking, embedder, cited_for_margin)
        if for_topic and topic_best >= min_similarity and not set(for_topic) & set(named):
            return [n for n in for_topic if n in references][:6], topic_best, Reading.CITED_FOR
    if named:
        return named, 0.9, how
    candidates = [n for n in references if n in entries]
    # a year the request names ("the 2015 workshop paper") narrows the field to the works of that year; "the
    # oldest" / "the most recent" picks the works of the earliest or latest year
    years = {n: references[n].year for n in candidates if references[n].year}
    named_years = {int(y) for y in YEAR.findall(request)} & set(years.values())
    if named_years:
        candidates = [n for n in candidates if years.get(n) in named_years]
    age = _AGE.search(request)
    dated = [years[n] for n in candidates if n in years]
    if age and dated:
        wanted = (min if age.group("old") else max)(dated)
        # as sure as a topic match, not as a name: a conversation's own reference still wins over it
        return [n for n in candidates if years.get(n) == wanted][:6], min_similarity, Reading.AGE
    if not candidates or not request.strip():
        return [], 0.0, Reading.NONE
    texts = [f"{references[n].title}. {entries[n].text}" for n in candidates]
    vectors = encode_cached(embedder, [request] + texts)
    sims = vectors[1:] @ vectors[0]
    order = sorted(range(len(candidates)), key=lambda i: -float(sims[i]))
    best = float(sims[order[0]])
    for_topic, topic_best = cited_for(request, citing, embedder, cited_for_margin)
    for_topic = [n for n in for_topic if n in candidates]
    # "which benchmarks does the agent-tooling part cite?" asks what the paper cites, however close a title is;
    # "that RE quote about CS vs ML solutions — who said it?" the work cited for the quote, unless a title is
    # clearly closer
    said = bool(_WHO_SAID.search(request)) and topic_best >= best - _SPEAKER_MARGIN
    if for_topic and (topic_best > best or asks_cited(request) or said) and topic_best >= min_similarity:
        return [n for n in for_topic if n in references][:6], topic_best, Reading.CITED_FOR
    if best < min_similarity:
        return (candidates[:6], min_similarity, Reading.YEAR) if named_years else ([], best, Reading.NONE)
    return [candidates[i] for i in order if float(sims[i]) >= best - 0.04][:3], best, Reading.TITLE


def header_field(header: Passage, field: str) -> str:
    """A field of a source file's header ("- Provenance: excerpts from an archived copy …"), or ""."""
    match = re.search(rf"^- {field}: (.+)$", header.text, re.M)
    return match.group(1).strip().rstrip(".") if match else ""


def described_author(header: Passage | None) -> str:
    """The author as our copy of the source describes them ("Belinda Zeng (described on the page as head of
    applied science …)"), or "" when the header only names them."""
    author = header_field(header, "Author") if header is not None else ""
    return author if "(" in author else ""


def opening_statement(body: Passage | None, score: float) -> list[Statement]:
    """ "The source begins: “…”": the first sentence of a source's own text, what it says it is about."""
    if body is None:
        return []
    first = strip_markdown(body.text).split("\n")[0]
    sentence = next(iter(split_sentences(first)), "")  # "(e.g. chain-of-thought)" does not end it
    if len(sentence.split()) < 5:
        return []
    quote = shorten(sentence, 300)
    return [
        Statement(prompts.REFERENCE_SAYS.format(quote=quote), (body.id,), (quote.rstrip("…"),), quote=True, score=score)
    ]


def reference_statements(
    ref: Reference,
    entry: Passage | None,
    header: Passage | None,
    body: Passage | None,
    citing: Sequence[CitingSentence],
    citing_passage: Mapping[int, Passage],
    where_cited: bool = False,
    blocks: Sequence[Passage] = (),
    dates_asked: bool = False,
) -> list[Statement]:
    """What the reference list, our copy of the source and the paper's citing sentences say of one work; the
    sentences that cite it first, three of them, when the request asks where or why the paper cites it; the entry
    as printed and the source's own date next after who and what it is when the request names a year ("the paper
    lists it as 2020 but wasn't it on arxiv earlier?")."""
    cited = tuple(p.id for p in (entry, header) if p is not None)
    out: list[Statement] = []
    if cited:
        year = f"{ref.year} " if ref.year else ""
        out.append(
            Statement(
                prompts.REFERENCE_ENTRY.format(
                    n=ref.id,
                    authors=author_phrase(ref),
                    year=year,
                    kind=KIND_WORDS.get(ref.kind, "work"),
                    title=ref.title,
                ),
                cited,
                (ref.authors[0] if ref.authors else "", str(ref.year or ""), ref.title),
                score=1.0,
            )
        )
        if ref.url:
            out.append(Statement(prompts.REFERENCE_LINK.format(url=ref.url), cited, (ref.url,), score=0.7))
    out += dating_statements(entry, header, score=0.9 if dates_asked else 0.65, ref=ref)
    author = described_author(header)
    if author:  # who the author is, as the source describes them ("head of applied science …")
        out.append(Statement(prompts.REFERENCE_AUTHOR.format(author=author), (header.id,), (author,), score=0.65))
    provenance = header_field(header, "Provenance") if header is not None else ""
    if provenance:  # where our copy of the source comes from
        out.append(
            Statement(
                prompts.REFERENCE_PROVENANCE.format(provenance=provenance), (header.id,), (provenance,), score=0.5
            )
        )
    out += opening_statement(body, score=0.8)
    where: list[Statement] = []
    for rank, sentence in enumerate(citing[: 3 if where_cited else 2]):
        passage = citing_passage.get(sentence.start)
        if passage is None:
            continue
        words = strip_citations(strip_markdown(sentence.text)).strip()
        where.append(
            Statement(
                prompts.REFERENCE_CITED_IN.format(
                    section=section_named(passage, paragraph_topic(passage, blocks)), quote=shorten(words, 300)
                ),
                (passage.id,),
                (shorten(words, 300).rstrip("…"), *heading_of(passage)),
                quote=True,
                score=1.1 - 0.01 * rank if where_cited else 0.6,
            )
        )
    return where + out if where_cited else out + where


def heading_of(passage: Passage) -> tuple[str, ...]:
    """The heading of the numbered section a paper passage is in (none for the abstract and front matter)."""
    return (passage.section_title,) if passage.section.isdigit() and passage.section_title else ()


def section_named(passage: Passage, topic: str = "") -> str:
    """'5 (Scaling AI Infrastructure …)': where the paper says something, by number and heading ("which section
    cites it?" is answered by either), and the paragraph's own label when it has one (`topic`: "in its paragraph
    on Vertical-AI and SaaS product companies"). No quotation marks: the quote that follows is the statement's
    only one."""
    named = passage.section + "".join(f" ({title})" for title in heading_of(passage))
    return f"{named}, in its paragraph on {topic}" if topic else named


def part_named(passage: Passage) -> str:
    """'Section 5 (Scaling AI Infrastructure …)', or 'the abstract': where in the paper a passage is."""
    return f"Section {section_named(passage)}" if passage.section.isdigit() else f"the {passage.section.lower()}"


def paper_blocks(passages: Iterable[Passage]) -> list[Passage]:
    """The paper's own text, its reference list left out: where its citing sentences are."""
    return [p for p in passages if p.doc == "paper" and p.kind != PassageKind.REFERENCE]


def holding(blocks: Sequence[Passage], sentence: CitingSentence) -> Passage | None:
    """The passage (window) a citing sentence starts in."""
    return next((p for p in blocks if p.start <= sentence.start < p.end), None)


def where_cited(refs: Sequence[int], citing: Sequence[CitingSentence], passages: Sequence[Passage]) -> ToolResult:
    """Where the paper brings the works up ("in what context does the paper cite those?"): the sentences citing
    them, those citing most of them first, quoted with their section, each cited to the passage that holds it."""
    wanted = set(refs)
    blocks = paper_blocks(passages)
    sentences = sorted((s for s in citing if wanted & set(s.refs)), key=lambda s: -len(wanted & set(s.refs)))
    statements: list[Statement] = []
    used: dict[str, Passage] = {}
    for sentence in sentences[:2]:
        passage = holding(blocks, sentence)
        if passage is None:
            continue
        words = shorten(strip_citations(strip_markdown(sentence.text)).strip(), 300)
        cited = [n for n in sentence.refs if n in wanted]
        works = ("references " if len(cited) > 1 else "reference ") + " and ".join(str(n) for n in cited)
        statements.append(
            Statement(
                prompts.WORKS_CITED_IN.format(
                    works=works, section=section_named(passage, paragraph_topic(passage, blocks)), quote=words
                ),
                (passage.id,),
                (words.rstrip("…"), *heading_of(passage)),
                quote=True,
                score=1.0 - 0.01 * len(statements),
            )
        )
        used[passage.id] = passage
    return ToolResult(
        tool="paper_section",
        arguments={"refs": list(refs)},
        statements=tuple(statements),
        passages=tuple(used.values()),
        summary=("read the passages citing " + ", ".join(f"[{n}]" for n in refs)) if statements else "not cited",
        strength=1.0 if statements else 0.0,
        section=sentences[0].section if statements else "",
    )


def where_said(
    answer: str, sentences: Sequence[CitingSentence], passages: Sequence[Passage], items: Mapping[str, str]
) -> ToolResult:
    """Where the paper says what an earlier answer quoted of it ("which parts of the paper discuss that?"): each
    of its sentences the answer holds (or that holds a sentence of the answer: the paper quoting a source), with
    its section and the labelled item of the section's list it is in (`items`: passage id -> item name), a
    sentence from each part first."""
    answer = strip_citations(answer)  # its own markers: "[1]" is no word of the paper's
    said = normalize_for_match(answer)
    quoted = [k for k in (normalize_for_match(s) for s in split_sentences(answer)) if len(k) > 40]

    def place(sentence: CitingSentence) -> int | None:
        key = normalize_for_match(strip_citations(strip_markdown(sentence.text)))
        if len(key) > 40 and key in said:
            return said.index(key)
        return next((said.index(q) for q in quoted if q in key), None)

    found = [(at, s) for s in sentences if (at := place(s)) is not None]
    ordered = [s for _, s in sorted(found, key=lambda f: f[0])]
    blocks = paper_blocks(passages)
    holders = {s.start: holding(blocks, s) for s in ordered}
    part_of = {s.start: (s.section, items.get(p.id, "")) for s in ordered if (p := holders[s.start])}
    firsts: dict[tuple[str, str], CitingSentence] = {}
    for sentence in ordered:  # each part at its first sentence, the parts in the order the answer quoted them
        if sentence.start in part_of:
            firsts.setdefault(part_of[sentence.start], sentence)
    statements: list[Statement] = []
    used: dict[str, Passage] = {}
    first_of_part = list(firsts.values())
    for sentence in first_of_part[:3]:
        passage = holders[sentence.start]
        item = items.get(passage.id, "")
        words = shorten(strip_citations(strip_markdown(sentence.text)).strip(), 300)
        where = part_named(passage) + (prompts.SAID_UNDER.format(item=item) if item else "")
        statements.append(
            Statement(
                prompts.SAID_IN.format(where=where, quote=words),
                (passage.id,),
                (words.rstrip("…"), *heading_of(passage), *([item] if item else [])),
                quote=True,
                score=1.0 - 0.01 * len(statements),
            )
        )
        used[passage.id] = passage
    return ToolResult(
        tool="paper_section",
        arguments={"said": shorten(answer, 80)},
        statements=tuple(statements),
        passages=tuple(used.values()),
        summary="read where the paper says what the answer quoted" if statements else "not the paper's words",
        strength=1.0 if statements else 0.0,
        section=first_of_part[0].section if statements else "",
    )


def entry_number(passage: Passage) -> int | None:
    """The number the paper's reference entry prints ("[4] Lakshman, A.: ..." -> 4); None for any other passage."""
    text = passage.text
    if passage.doc == "paper" and passage.kind == PassageKind.REFERENCE and text.startswith("[") and "]" in text[:4]:
        return int(text[1 : text.index("]")])
    return None


def paper_entries(passages: Iterable[Passage]) -> dict[int, Passage]:
    """Reference number -> the paper's own entry for it ("[4] Lakshman, A.: ...")."""
    return {n: p for p in passages if (n := entry_number(p)) is not None}


# A disagreement the audit found between the paper's entry and the source is said whenever the work is looked
# up: above what the source says on the question (the entry is wrong, whatever was asked), with the entry as
# printed and, when the year is what disagrees, the date our copy gives (the evidence it was checked against).
_ENTRY_FINDING_SCORE = 0.86


def dating_statements(
    entry: Passage | None, header: Passage | None, score: float = 0.65, ref: Reference | None = None
) -> list[Statement]:
    """The entry as the paper prints it (where the work appeared, its year, editions), the date our copy of
    the source gives itself, and where the audit's check of the entry against the source's own header finds
    them disagreeing (an author misspelt, another year) or the entry leaves out where the work appeared: what
    "the paper dates it 2022, is that right?" and "is that author's name spelt right?" are answered with."""
    listed = re.sub(r"^\[\d+\]\s*", "", entry.text) if entry is not None else ""  # the entry without its "[n]"
    findings = []
    if ref is not None and entry is not None:
        source = parse_source_header(header.text) if header is not None else None
        printed_entry = parse_paper_entry(ref.id, listed)
        # "entry" compares our data file, not the paper; of the notes, a venue the entry leaves out or dates
        # otherwise ("the source says it appeared at ICLR 2023") is the one a reader of the entry needs
        findings = [
            c
            for c in compare_metadata(printed_entry, ref, source)
            if c.field != "entry" and (c.status == "mismatch" or (c.status, c.field) == ("note", "venue"))
        ]
    wrong = {c.field for c in findings if c.status == "mismatch"}
    out: list[Statement] = []
    if entry is not None:
        printed = strip_markdown(listed).strip()
        out.append(
            Statement(
                prompts.REFERENCE_LISTED.format(entry=printed),
                (entry.id,),
                (printed,),
                quote=True,
                score=max(score, _ENTRY_FINDING_SCORE) if wrong else score,  # the entry found wrong, as printed
            )
        )
    # a page gives its "Date"; an arXiv record its "Year" line (its versions and where it was published), which
    # says more than a reader asks of most works: it ranks with the finding when the year is found wrong, next
    # after the entry when the entry is silent on where the work appeared, and otherwise below the rest
    page_date = header_field(header, "Date") if header is not None else ""
    date = page_date or (header_field(header, "Year") if header is not None else "")
    if date:
        dated = (
            max(score, _ENTRY_FINDING_SCORE)
            if "year" in wrong
            else score - 0.02
            if findings
            else score - (0.03 if page_date else 0.1)
        )
        out.append(Statement(prompts.REFERENCE_DATED.format(date=date), (header.id,), (date,), score=dated))
    for check in findings:
        out.append(
            Statement(
                prompts.REFERENCE_ENTRY_CHECK.format(field=check.field, detail=check.detail),
                tuple(p.id for p in (entry, header) if p is not None),
                score=max(score, _ENTRY_FINDING_SCORE) if check.status == "mismatch" else score - 0.035,
                report=True,
            )
        )
    return out


def held_text_note(ref: Reference, body_kinds: set[PassageKind]) -> str:
    if not ref.source_file or not body_kinds:
        return prompts.REFERENCE_NO_TEXT.format(n=ref.id)
    parts = [k for k in (PassageKind.ABSTRACT, PassageKind.EXCERPT, PassageKind.FACT) if k in body_kinds]
    words = {
        PassageKind.ABSTRACT: "its abstract",
        PassageKind.EXCERPT: "excerpts",
        PassageKind.FACT: "key facts noted from it",
    }
    return prompts.REFERENCE_HELD.format(n=ref.id, what=", ".join(words[k] for k in parts))


def described_reference(
    request: str,
    candidates: Sequence[int],
    references: Mapping[int, Reference],
    openings: Mapping[int, str],
    embedder,
    margin: float,
) -> int | None:
    """Which of the candidates (the works the conversation just named) the request describes: "the kNN one",
    "the GPTQ one" - the closest by title and the opening of the source's own text, when it is closer than the
    others by `margin`; None when it describes none of them in particular."""
    candidates = [n for n in dict.fromkeys(candidates) if n in references]
    if len(candidates) < 2:
        return None
    of_kind = [n for n in candidates if called_by_kind(request, references[n])]
    if len(of_kind) == 1:  # "his blog post" after an answer citing two job postings and a blog
        return of_kind[0]
    # otherwise by meaning, its kind part of what describes it ("that posting about sustainability")
    texts = [
        f"{KIND_WORDS.get(references[n].kind, '')}: {references[n].title}. {openings.get(n, '')}" for n in candidates
    ]
    vectors = encode_cached(embedder, [request] + texts)
    sims = sorted(zip((vectors[1:] @ vectors[0]).tolist(), texts, candidates), reverse=True)
    if sims[0][0] - sims[1][0] < margin:
        return None
    # a description uses a word of that work's own, which the others do not share ("kNN", "GPTQ"); "who said
    # that?" or "does the abstract support the models it is cited for?" describes none of them
    words = [set(content_words(text.replace("$", ""))) for _, text, _ in sims]  # inline maths: "$k$NN" is kNN
    distinctive = words[0].difference(*words[1:])
    return sims[0][2] if set(content_words(request)) & distinctive else None


def source_answer(
    request: str,
    texts: Sequence[Passage],
    opening: Passage | None,
    embedder,
    own: str = "",
    said: str = "",
    score: float = 0.85,
    limit: int = 2,
    from_start: bool = False,
) -> list[Statement]:
    """The sentences of the source's own text that best answer the request ("what do the scaling papers
    find?"), at most `limit`, leaving out the opening sentence the entry already quotes and what `said`
    already holds. `own`: a follow-up's own words (the request is condensed with the question before it).
    `from_start`: the request asks what the work is and nothing else, so its text is read in order."""
    focus = Focus(own=own) if own and own != request else None
    ranked = rank_sentences(request, [Evidence(p, 0.0, ()) for p in texts], embedder, order_bonus=0.0, focus=focus)
    if from_start:
        ranked.sort(key=lambda r: (r[0], r[1]))
    statements: list[Statement] = []
    for n, position, sentence, _ in ranked[: limit + 2]:  # best first
        if len(statements) >= limit:
            break
        if (texts[n - 1] is opening and position == 0) or (said and normalize_ws(sentence) in normalize_ws(said)):
            if not statements and not from_start:
                return []  # the best answer is already given
            continue
        quote = quote_text(sentence)
        # the first says what it is; the next reads as more of the same source's words
        text = (
            (prompts.REFERENCE_GOES_ON if from_start else prompts.REFERENCE_FINDS).format(quote=quote)
            if not statements
            else prompts.QUOTE.format(quote=quote.strip("“”"))
        )
        statements.append(
            Statement(text, (texts[n - 1].id,), (sentence.strip(),), quote=True, score=score - 0.001 * len(statements))
        )
    return statements


FRONT_MATTER = "Title"  # the section the parser gives the lines between the paper's title and its abstract


def names_the_paper_only(request: str, passages: Sequence[Passage]) -> bool:
    """Whether a request calls the paper by its own (short) title and asks only a field of it ("who wrote the AI
    Roles Continuum paper?"): the paper itself, however its title's words match the cited works' topics."""
    title = next((p.title for p in passages if p.doc == "paper"), "")
    words = set(content_words(title.split(":")[0]))
    if not words or not words <= set(content_words(request)):
        return False
    rest = " ".join(w for w in request.split() if not set(content_words(w)) & words)
    return asks_a_field(request) and not names_a_topic(rest)


def front_matter(request: str, passages: Sequence[Passage]) -> ToolResult:
    """The paper itself as the work asked about: its title, year and author, and its other front-matter lines
    (the contact address), quoted from the lines under the title."""
    lines = [p for p in passages if p.doc == "paper" and p.section == FRONT_MATTER]
    statements = []
    for i, p in enumerate(lines):
        line = strip_markdown(p.text).strip(" ;")
        text = (
            prompts.PAPER_BYLINE.format(title=p.title, year=p.year, author=line)
            if i == 0
            else prompts.PAPER_FRONT_MATTER.format(line=line)
        )
        statements.append(Statement(text, (p.id,), (line,), quote=i > 0, score=1.0 - 0.01 * i))
    return ToolResult(
        tool="references",
        arguments={"request": request, "numbers": []},
        statements=tuple(statements),
        passages=tuple(lines),
        summary="the paper's own front matter",
        strength=1.0,
        section=FRONT_MATTER,
        reading=Reading.FRONT_MATTER,
    )


def lookup_reference(
    request: str,
    numbers: Sequence[int],
    references: Mapping[int, Reference],
    passages: Sequence[Passage],
    citing: Sequence[CitingSentence],
    embedder,
    min_similarity: float,
    source_sentences: int = 2,
    front_matter_similarity: float = 1.0,
    asked: str = "",
) -> ToolResult:
    """`front_matter_similarity`: a request named by no number, author or work name that is this close to what
    the paper's own front matter answers (prompts.FRONT_MATTER_QUESTION), and closer to it than to any cited
    work, asks about the paper itself. `asked`: a follow-up's own words, when the request is condensed with the
    question before it."""
    entries = paper_entries(passages)
    common = embedder.vocabulary
    matched, strength, reading = match_references(
        request, numbers, references, entries, embedder, min_similarity, citing, common=common
    )
    if not numbers and strength < 0.9:
        vectors = encode_cached(embedder, [request, prompts.FRONT_MATTER_QUESTION])
        itself = float(vectors[0] @ vectors[1])
        if (itself >= front_matter_similarity and itself > strength) or names_the_paper_only(request, passages):
            return front_matter(request, passages)
    by_doc: dict[str, list[Passage]] = {}
    for p in passages:
        by_doc.setdefault(p.doc, []).append(p)
    blocks = paper_blocks(by_doc.get("paper", []))
    statements: list[Statement] = []
    notes: list[str] = []
    used: dict[str, Passage] = {}
    if matched and asks_same_author(request):  # the work asked about, then the works sharing an author with it
        sharing = sharing_authors(matched[0], request, references)
        headers = {p.ref: p for p in passages if p.kind == PassageKind.REFERENCE and p.ref}
        statements += shared_author_statements(matched[0], sharing, references, entries, headers)
        matched = [matched[0], *(m for m, _ in sharing)]
    # "in which section is it cited?", "why does the paper cite it?" (in the person's own words, not those of the
    # question a follow-up is condensed with): where the paper cites it comes first
    where_cited = asks_where_cited(asked or request)
    for rank, n in enumerate(matched):
        ref = references[n]
        own = by_doc.get(f"ref-{n}", [])
        header = next((p for p in own if p.kind == PassageKind.REFERENCE), None)
        body = next((p for p in own if p.kind in (PassageKind.ABSTRACT, PassageKind.EXCERPT)), None)
        cites_it = [s for s in citing if n in s.refs]
        where = {s.start: holding(blocks, s) for s in cites_it}
        found = reference_statements(
            ref,
            entries.get(n),
            header,
            body,
            cites_it,
            {k: v for k, v in where.items() if v},
            where_cited,
            blocks,
            dates_asked=bool(YEAR.search(asked or request)),
        )
        if len(matched) <= 2:  # about a work or two, not a list: what its own text says on the question
            found += source_answer(
                request,
                [p for p in own if p.kind in VERBATIM_KINDS],
                body,
                embedder,
                limit=source_sentences,
                from_start=work_alone(request, ref),
            )
        for s in found:
            statements.append(Statement(s.text, s.passage_ids, s.values, s.quote, s.score - 0.1 * rank))
        for p in [entries.get(n), header, body, *where.values()]:
            if p is not None:
                used[p.id] = p
        notes.append(held_text_note(ref, {p.kind for p in own}))
    return ToolResult(
        tool="references",
        arguments={"request": request, "numbers": list(numbers)},
        statements=tuple(statements),
        passages=tuple(used.values()),
        summary=("references " + ", ".join(f"[{n}]" for n in matched)) if matched else "no matching reference",
        strength=strength,
        refs=tuple(matched),
        section="References",
        notes=tuple(notes),
        reading=reading,
    )
