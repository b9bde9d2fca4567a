"""The claim-check tool: a paper sentence, a reference or a topic -> the claim, what it cites, and the
citation audit's verdict for each cited source, with the source's own words (or that we hold no text).

It reads the audit's per-pair summaries (advisor.audit, cached beside the index), so the chat says what the
audit found instead of quoting the paper back at the person who asked whether the paper holds up.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ..core.text import (
    content_words,
    normalize_for_match,
    normalize_ws,
    quoted_phrases,
    sentence_spans,
    shorten,
    split_sentences,
    strip_citations,
    strip_markdown,
)
from ..core.types import VERBATIM_KINDS, Passage, Verdict
from ..corpus import Reference, source_ref
from ..grounding import encode_cached
from ..llm import prompts
from ..qa import word_share, word_weights
from ..qa.coverage import focus_words
from .references import (
    YEAR,
    author_phrase,
    dating_statements,
    header_field,
    opening_statement,
    paper_entries,
    source_answer,
)
from .results import Reading, Statement, ToolResult


def unique_pairs(by_passage: Mapping[str, Sequence[dict]]) -> list[tuple[str, dict]]:
    """(paper passage id, verdict summary) once per citing pair, in paper order."""
    seen: dict[str, tuple[str, dict]] = {}
    for pid, verdicts in by_passage.items():
        for verdict in verdicts:
            seen.setdefault(str(verdict.get("id")), (pid, verdict))
    return sorted(seen.values(), key=lambda item: (int(str(item[1]["id"]).split("@")[1].split("#")[0]), item[1]["ref"]))


def _quoted(request: str, asked: str) -> list[str]:
    """The phrases the person quoted in this turn, normalised for matching (a follow-up's own words quote for it)."""
    return [q for q in map(normalize_for_match, quoted_phrases(asked or request)) if q]


def own_word_shares(asked: str, texts: Sequence[str], idf: Mapping[str, float]) -> list[float]:
    """For each text, the IDF-weighted share of a follow-up's own content words it holds, counted only when it
    holds two or more of them: one shared word ("does it support the paper's claim?") names no sentence. All 0
    for a question that is not a follow-up."""
    weights = word_weights(asked, idf=dict(idf)) if asked else {}
    return [word_share(weights, t) if len(weights.keys() & set(content_words(t))) >= 2 else 0.0 for t in texts]


def _topical(text: str) -> str:
    """The sentences of a message that name a topic: "is that in the paper?" names none, and beside the claim
    it would pull the ranking toward any sentence about roles and papers."""
    kept = [text[s:e] for s, e in sentence_spans(text, typed=True) if focus_words(text[s:e])]
    return " ".join(kept) or text


def _similarities(request: str, asked: str, texts: Sequence[str], embedder) -> np.ndarray:
    """Each text's cosine to the request or, when closer, to the follow-up's own words (their sentences that
    name a topic); a text of several sentences (a claim quoting a source at length) scores as its closest
    sentence, when that is closer than the whole."""
    queries = [_topical(request)] + ([_topical(asked)] if asked and asked != request else [])
    parts = [[text, *(sentences if len(sentences := split_sentences(text)) > 1 else ())] for text in texts]
    flat = [part for group in parts for part in group]
    vectors = encode_cached(embedder, queries + flat)
    scores = (vectors[len(queries) :] @ vectors[: len(queries)].T).max(axis=1)
    bounds = np.cumsum([0] + [len(group) for group in parts])
    return np.array([scores[lo:hi].max() for lo, hi in zip(bounds[:-1], bounds[1:])])


def choose_pairs(
    request: str,
    refs: Sequence[int],
    pairs: Sequence[tuple[str, dict]],
    embedder,
    asked: str = "",
    limit: int = 2,
    by_own_words: Sequence[tuple[str, dict]] = (),
) -> tuple[list[tuple[str, dict]], float]:
    """The citing pairs the request is about: those of the references it names (the closest claims first),
    else the claims closest in meaning to it. A claim that holds a phrase the request quotes ("the paper says
    the job was 'more similar to a mid-level SWE position'") comes before any other, then the other claims
    citing the same work. `asked`: a follow-up's own words (the request is condensed with the question before
    it): the phrases it quotes are its own, and a claim it restates in its own words is closer to them than to
    the condensed request, and the claims its own words name (`by_own_words`: "what about the bug-free ML code
    bit?") are the only candidates, before the references it names. Returns the pairs and the best similarity."""
    named = [p for p in pairs if p[1]["ref"] in refs]
    phrases = _quoted(request, asked)
    quoting = [p for p in pairs if any(q in normalize_for_match(strip_citations(p[1]["claim"])) for q in phrases)]
    quoting = [p for p in quoting if p in named] or quoting  # "... 'simulators for evaluation' and cites [28-31]"
    pool = named or list(pairs)
    if by_own_words and not quoting:
        pool = [p for p in by_own_words if p in named] or list(by_own_words)
    if not pool:
        return [], 0.0
    sims = _similarities(request, asked, [strip_citations(p[1]["claim"]) for p in pool], embedder)
    order = sorted(range(len(pool)), key=lambda i: -float(sims[i]))
    best = float(sims[order[0]])
    if quoting:
        quoted_refs = {p[1]["ref"] for p in quoting}
        same_work = [pool[i] for i in order if pool[i][1]["ref"] in quoted_refs and pool[i] not in quoting]
        if not named:
            same_work = [p for p in pairs if p[1]["ref"] in quoted_refs and p not in quoting]
        return (quoting + same_work)[:limit], 1.0
    if refs:
        chosen = [pool[i] for i in order[:limit]]
    else:
        top_claim = pool[order[0]][1]["claim"]
        chosen = [pool[i] for i in order if pool[i][1]["claim"] == top_claim][:limit]  # one sentence, each citation
    return chosen, best


@dataclass(frozen=True)
class UncitedSentence:
    """A sentence of the paper that cites nothing, in the passage that holds it."""

    text: str
    passage: Passage


def closest_uncited(
    query: str,
    sentences: Sequence[UncitedSentence],
    embedder,
    asked: str = "",
    by_own_words: Sequence[UncitedSentence] = (),
) -> tuple[UncitedSentence | None, float, bool]:
    """The uncited sentence the request is about: the one holding a phrase it quotes, else one a follow-up's
    own words name, else the closest in meaning. Returns it, its similarity and whether a quote or the
    follow-up's own words picked it."""
    if not sentences:
        return None, 0.0, False
    phrases = _quoted(query, asked)
    quoting = [s for s in sentences if any(q in normalize_for_match(s.text) for q in phrases)] or list(by_own_words)
    pool = quoting or list(sentences)
    sims = _similarities(query, asked, [s.text for s in pool], embedder)
    best = int(np.argmax(sims))
    return pool[best], float(sims[best]), bool(quoting)


def uncited_statements(
    sentence: UncitedSentence, source: tuple[Passage, str] | None, ref: Reference | None
) -> list[Statement]:
    """The claim (quoted), that the paper cites nothing for it, and the closest words of a source we hold."""
    claim = shorten(strip_markdown(sentence.text).strip(), 320)
    out = [
        Statement(prompts.CLAIM_UNCITED.format(quote=claim), (sentence.passage.id,), (claim.rstrip("…"),), quote=True)
    ]
    if source is not None:
        passage, words = source
        label = f"reference {ref.id} ({author_phrase(ref)}, {ref.year})" if ref and ref.year else passage.title
        out.append(
            Statement(
                prompts.CLAIM_UNCITED_CLOSEST.format(source=label, quote=shorten(words, 320)),
                (passage.id,),
                (shorten(words, 320).rstrip("…"),),
                quote=True,
                score=-0.01,
            )
        )
    return out


def closest_to_missing_quote(verdict: dict, passages_by_id: Mapping[str, Passage]) -> tuple[str, str] | None:
    """For a quotation the source does not hold, the whole sentence of the source its closest words are in
    (passage id, sentence): what the source says nearest to what the paper quotes it saying."""
    for quote in verdict.get("quotes") or ():
        passage = passages_by_id.get(quote.get("passage_id") or "")
        closest = normalize_ws(quote.get("source_text") or "")
        if quote.get("status") != "not-found" or passage is None or not closest:
            continue
        for sentence in split_sentences(strip_markdown(passage.text)):
            if closest[:40] in normalize_ws(sentence):
                return passage.id, sentence.strip()
    return None


def pair_statements(
    pid: str,
    verdict: dict,
    ref: Reference | None,
    entry: Passage | None,
    rank: int,
    passages_by_id: Mapping[str, Passage] | None = None,
) -> tuple[list[Statement], list[Passage | str]]:
    """The claim (quoted from its paper passage), the verdict (citing what it was judged against) and the
    source's closest sentence: to a quotation it does not hold, else to the claim. Returns the statements and
    the passage ids they cite."""
    claim = strip_citations(strip_markdown(verdict["claim"])).strip()
    n = verdict["ref"]
    base = 1.0 - 0.1 * rank
    out = [
        Statement(
            prompts.CLAIM_SAYS.format(quote=shorten(claim, 320), n=n),
            (pid,),
            (shorten(claim, 320).rstrip("…"),),
            quote=True,
            score=base,
        )
    ]
    evidence = verdict.get("evidence") or {}
    judged_against = evidence.get("passage_id") or (entry.id if entry else None)
    label = f"reference {n}" + (f" ({author_phrase(ref)}, {ref.year})" if ref and ref.year else "")
    if judged_against:
        out.append(
            Statement(
                prompts.CLAIM_VERDICT.format(
                    source=label, verdict=verdict["verdict"], reason=verdict.get("reason", "")
                ),
                (judged_against,),
                (),
                score=base - 0.01,
                report=True,
            )
        )
    provenance = header_field(entry, "Provenance") if entry is not None else ""
    if verdict["verdict"] == Verdict.UNVERIFIABLE.value and provenance:  # why our copy cannot settle it
        out.append(
            Statement(
                prompts.REFERENCE_PROVENANCE.format(provenance=provenance),
                (entry.id,),
                (provenance,),
                score=base - 0.015,
            )
        )
    sentence = strip_markdown(str(evidence.get("sentence") or "")).strip()
    closest_pid, sentence = closest_to_missing_quote(verdict, passages_by_id or {}) or (
        evidence.get("passage_id"),
        sentence,
    )
    sentence = sentence.strip().strip('"')  # an excerpt kept in quotation marks is quoted once
    if closest_pid and len(sentence.split()) >= 4:
        out.append(
            Statement(
                prompts.CLAIM_SOURCE_WORDS.format(quote=shorten(sentence, 320)),
                (closest_pid,),
                (shorten(sentence, 320).rstrip("…"),),
                quote=True,
                score=base - 0.02,
            )
        )
    return out, [pid, *([judged_against] if judged_against else []), *([entry.id] if provenance else [])]


def check_claims(
    request: str,
    refs: Sequence[int],
    by_passage: Mapping[str, Sequence[dict]] | None,
    references: Mapping[int, Reference],
    passages_by_id: Mapping[str, Passage],
    embedder,
    asked: str = "",
    uncited: Sequence[UncitedSentence] = (),
    closest_source_words: Callable[[str], tuple[Passage, str] | None] | None = None,
    uncited_margin: float = 0.05,
    idf: Mapping[str, float] | None = None,
    own_words_share: float = 1.1,
    source_sentences: int = 2,
) -> ToolResult:
    """`uncited`: the paper's sentences that cite nothing: a question about one of them ("is that from his
    post?" of a sentence without a marker) is told so, with the closest words of a source we hold
    (`closest_source_words`), rather than the audit of another sentence."""
    arguments = {"request": request, "refs": list(refs)}
    if by_passage is None:
        return ToolResult(
            "claim_check", arguments, summary="the citation audit is not ready", notes=(prompts.AUDIT_NOT_READY,)
        )
    pairs = unique_pairs(by_passage)
    # A follow-up's own words that name a sentence ("the bug-free ML code bit") pick it, cited or not: the
    # condensed request still carries the previous question's claim.
    claim_shares = own_word_shares(asked, [strip_citations(v["claim"]) for _, v in pairs], idf or {})
    uncited_shares = own_word_shares(asked, [s.text for s in uncited], idf or {})
    top_claim, top_uncited = max(claim_shares, default=0.0), max(uncited_shares, default=0.0)
    named_claims = [p for p, x in zip(pairs, claim_shares) if x >= max(top_claim, own_words_share)]
    named_uncited = [
        u for u, x in zip(uncited, uncited_shares) if x >= max(top_uncited, own_words_share, top_claim + 1e-9)
    ]
    chosen, best = choose_pairs(request, refs, pairs, embedder, asked, by_own_words=named_claims)
    sentence, similarity, by_quote = closest_uncited(request, uncited, embedder, asked, named_uncited)
    quoted_a_citing_sentence = best >= 1.0  # choose_pairs found a phrase the request quotes in a citing sentence
    # Without a quote, a question about the works the conversation names is about the sentences citing them.
    closer = not refs and not named_claims and similarity > best + uncited_margin
    if sentence is not None and not quoted_a_citing_sentence and (by_quote or closer):
        source = closest_source_words(sentence.text) if closest_source_words else None
        ref = references.get(source_ref(source[0].id) or 0) if source else None
        statements = uncited_statements(sentence, source, ref)
        return ToolResult(
            tool="claim_check",
            arguments=arguments,
            statements=tuple(statements),
            passages=tuple(passages_by_id[p] for s in statements for p in s.passage_ids if p in passages_by_id),
            summary="the sentence cites nothing" + (f"; closest source words in [{ref.id}]" if ref else ""),
            strength=1.0 if by_quote else max(0.0, similarity),
            refs=(ref.id,) if ref else (),
            reading=Reading.UNCITED,
        )
    statements: list[Statement] = []
    used: list[str] = []
    answered: set[int] = set()
    for rank, (pid, verdict) in enumerate(chosen):
        n = verdict["ref"]
        entry = passages_by_id.get(f"ref-{n}:reference")
        found, cited = pair_statements(pid, verdict, references.get(n), entry, rank, passages_by_id)
        if n not in answered and (YEAR.search(asked or request) or verdict["verdict"] == Verdict.NO_SOURCE_TEXT.value):
            # "the paper dates it 2022 — is that right?": the entry as printed beside the source's own date; and
            # of a source we hold no text of, the entry is all there is to say what and where it is
            printed = paper_entries(passages_by_id.values()).get(n)
            found = dating_statements(printed, entry, found[0].score + 0.01, references.get(n)) + found
        if n not in answered:  # what the source says on the question itself, beside what the audit matched
            answered.add(n)
            own = [p for p in passages_by_id.values() if p.doc == f"ref-{n}" and p.kind in VERBATIM_KINDS]
            if verdict["verdict"] == Verdict.NOT_SUPPORTED.value and own:
                # "is truthfulqa actually a simulator, going by its abstract?": a source the audit finds is not
                # about the claim is shown for what it is about, in its own first words
                found += opening_statement(min(own, key=lambda p: p.start), found[-1].score - 0.002)
            said = " ".join(v for st in found for v in st.values)
            # the phrases the person quoted say best what they are looking for in the source
            words = " ".join(quoted_phrases(asked or request)) or asked
            found += source_answer(request, own, None, embedder, words, said, found[-1].score - 0.005, source_sentences)
        statements += found
        used += [c for c in cited if isinstance(c, str)] + [s for st in found for s in st.passage_ids]
    verdicts = ", ".join(f"[{v['ref']}] {v['verdict']}" for _, v in chosen)
    return ToolResult(
        tool="claim_check",
        arguments=arguments,
        statements=tuple(statements),
        passages=tuple(passages_by_id[pid] for pid in dict.fromkeys(used) if pid in passages_by_id),
        summary=f"checked the citation of {verdicts}" if chosen else "no citing sentence matched",
        strength=1.0 if refs and chosen else max(0.0, best),
        refs=tuple(dict.fromkeys(v["ref"] for _, v in chosen)),
    )
