"""The citation audit: pairing, quotation lookup with word diffs, metadata checks, verdicts on cases
checked by hand against the sources, and bad inputs (unknown reference, empty or missing source file).

Hand-checked cases (corpus/sources/…):
- [1] excerpt 3 reads "all of our papers have engineers as authors, and often as first author" → verbatim.
- [2] excerpt 3 reads "We expect engineering to play a key role in most major advances in AI of the future";
  the paper quotes "engineering [plays] a key role …" → the bracket turns an expectation into a fact.
- [2] holds nothing like "high-performance implementations of deep learning algorithms" → not found.
- [4] excerpt 2 says "depends a little more on the team"; the paper quotes "depends on the team".
- [11] excerpt 2 has "such as using an efficient all-reduce algorithm to accumulate gradients" where the
  paper's quotation puts an ellipsis.
- [3] is a job posting with no source file.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from advisor import audit
from advisor.audit import (
    AuditError,
    CitingSentence,
    audit_corpus,
    audit_report_markdown,
    audit_verdicts_for,
    citation_pairs,
    citing_sentences,
    classify_marker,
    find_quotations,
    load_source_text,
    lookup_quote,
    parse_paper_references,
    run_audit,
    tokenize,
)
from advisor.core.types import Verdict
from advisor.corpus import load_references

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
PAPER = (CORPUS / "paper.md").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def sources():
    refs = load_references(CORPUS)
    return {n: load_source_text(CORPUS, ref, 60) for n, ref in refs.items()}


@pytest.fixture(scope="module")
def result(settings, embedder):
    return audit.cached_audit(settings, embedder)


def sentence_containing(fragment: str) -> CitingSentence:
    matches = [s for s in citing_sentences(PAPER) if fragment in s.text]
    assert len(matches) == 1, f"{fragment!r} is in {len(matches)} citing sentences"
    return matches[0]


def verdict_for(result, fragment: str, ref: int):
    found = [v for v in result.verdicts if v.ref == ref and fragment in v.claim]
    assert len(found) == 1, f"{len(found)} verdicts for [{ref}] on {fragment!r}"
    return found[0]


# ------------------------------------------------------------------ pairing


def test_a_range_citation_gives_one_pair_per_reference():
    sentence = sentence_containing("oriented to efficiency")
    pairs = citation_pairs(sentence)
    assert [p.ref for p in pairs] == [16, 13, 14, 15]
    by_ref = {p.ref: p for p in pairs}
    # a marker on a phrase vouches for the phrase, not for the sentence around it
    assert [(by_ref[n].kind, by_ref[n].attributed) for n in (13, 14, 15)] == [("term", "quantization")] * 3
    assert (by_ref[16].kind, by_ref[16].attributed) == ("term", "distillation")


def test_every_citation_marker_of_the_paper_body_is_paired():
    pairs = [p for s in citing_sentences(PAPER) for p in citation_pairs(s)]
    body = PAPER.split("\n## References")[0]
    from advisor.core.text import parse_citations

    cited = set(parse_citations(body, range(1, 33)))
    assert {p.ref for p in pairs} == cited
    assert len(pairs) == len({(p.sentence.start, p.ref) for p in pairs})  # one pair per sentence and reference


def test_a_quotation_split_by_the_sentence_splitter_stays_with_its_citation():
    sentence = sentence_containing("importance sampling")
    assert sentence.refs == (11,)
    assert sentence.text.startswith("As one research engineer noted")
    (quotation,) = find_quotations(sentence)
    assert quotation.refs == (11,) and quotation.text.endswith("valuable.")


def test_marker_kinds():
    text = "All staff share one title, and the company reports that “all papers have engineers”[1], underscoring it."
    start = text.index("[1]")
    kind, attributed = classify_marker(text, start, start + 3)
    assert kind == "clause" and attributed.endswith("engineers”")
    end_text = "OpenAI hires engineers[2]."
    assert classify_marker(end_text, end_text.index("["), end_text.index("]") + 1)[0] == "sentence"


# ------------------------------------------------------------------ quotations


def test_verbatim_quotation_is_found_with_its_span(sources):
    words = sources[1].words
    check = lookup_quote("all of our papers have engineers as authors, and often as first author", words, 0.6, 1)
    assert check.status == "verbatim"
    assert check.passage_id == "ref-1:excerpt:02"
    source_text = (CORPUS / "sources" / "01-anthropic-careers.md").read_text(encoding="utf-8")
    assert (
        source_text[check.start : check.end] == "all of our papers have engineers as authors, and often as first author"
    )


def test_bracketed_edit_that_changes_tense_is_reported(sources):
    check = lookup_quote("engineering [plays] a key role in most major advances in AI", sources[2].words, 0.6, 2)
    assert check.status == "differs"
    edits = [op for op in check.ops if op.op != "equal"]
    assert [(op.op, op.source, op.paper) for op in edits] == [("bracketed", "to play", "[plays]")]
    assert "tense" in edits[0].note


def test_dropped_words_inside_a_quotation_are_shown(sources):
    quote = (
        "Meta hires research scientists to do both research and SWE [software engineering] roles; "
        "what they actually do depends on the team"
    )
    check = lookup_quote(quote, sources[4].words, 0.6, 4)
    assert check.status == "differs"
    dropped = [op.source for op in check.ops if op.op == "dropped"]
    assert dropped == ["a little more"]
    gloss = [op for op in check.ops if op.op == "bracketed"]
    assert gloss and gloss[0].minor  # a bracketed gloss is a convention, not a change of wording
    assert "{-a little more-}" in check.diff_text()


def test_ellipsis_shows_the_text_it_hides(sources):
    sentence = sentence_containing("importance sampling")
    (quotation,) = find_quotations(sentence)
    check = lookup_quote(quotation.text, sources[11].words, 0.6, 11)
    hidden = [op.source for op in check.ops if op.op == "ellipsis"]
    assert hidden == ["such as using an efficient all-reduce algorithm to accumulate gradients"]
    changed = {(op.source, op.paper) for op in check.ops if op.op == "changed" and not op.minor}
    assert ("variables", "parameters") in changed


def test_abbreviation_and_plural_are_minor_edits(sources):
    swe = lookup_quote("more similar to a mid-level SWE position,", sources[4].words, 0.6, 4)
    assert swe.status == "minor-edits"
    systems = lookup_quote("massive-scale distributed machine learning systems", sources[2].words, 0.6, 2)
    assert systems.status == "minor-edits"


def test_quotation_absent_from_the_source_is_not_found(sources):
    check = lookup_quote("high-performance implementations of deep learning algorithms", sources[2].words, 0.6, 2)
    assert check.status == "not-found"
    assert check.ratio < 0.6


def test_paraphrased_key_facts_are_not_searched_for_cited_quotations(sources):
    # "Attention Is All You Need" is in [12]'s key facts (a paraphrase), not in a verbatim excerpt
    assert lookup_quote("Attention Is All You Need", sources[12].words, 0.6, 12).status == "not-found"
    assert lookup_quote("Attention Is All You Need", sources[12].all_words, 0.6, 12).status == "verbatim"


def test_tokenizer_keeps_editorial_marks():
    tokens = tokenize("design[ing], implement[ing] . . . [and] e.g. ML")
    assert [t.kind for t in tokens] == ["word", "word", "ellipsis", "bracket", "word", "word"]
    assert tokens[0].base == "design" and tokens[0].norm == "designing"


# ------------------------------------------------------------------ metadata


def test_metadata_mismatches_found_by_hand(result):
    mismatches = {(m.ref, m.field) for m in result.metadata if m.status == "mismatch"}
    assert (24, "authors") in mismatches  # the paper spells Mandlekar "Mandlkar"
    assert (12, "year") in mismatches  # the paper says 2022; references.json and the source say 2021
    author = next(m for m in result.metadata if (m.ref, m.field) == (24, "authors"))
    assert "Mandlkar" in author.detail and "Mandlekar" in author.detail
    assert (4, "authors") not in mismatches  # "Lakshman, A." is Aidan Lakshman


def test_paper_reference_entries_are_parsed():
    entries = parse_paper_references(PAPER)
    assert sorted(entries) == list(range(1, 33))
    assert entries[24].authors[3] == "Mandlkar"
    assert entries[10].year == 2020


# ------------------------------------------------------------------ verdicts (real model)


def test_verbatim_quotation_supported(result):
    v = verdict_for(result, "all of our papers have engineers as authors", 1)
    assert v.verdict == "supported"
    assert v.citation_kind == "clause"
    assert [q.status for q in v.quotes] == ["verbatim", "verbatim"]
    assert v.evidence and v.evidence[0].passage_id.startswith("ref-1:")


def test_quotation_with_different_wording_is_partial(result):
    v = verdict_for(result, "engineering [plays] a key role", 2)
    assert v.verdict == "partial"
    assert "[plays]" in v.reason
    v = verdict_for(result, "solid engineering skills", 2)
    assert v.verdict == "partial"
    assert "“good” → “solid”" in v.reason


def test_quotation_missing_from_the_source_is_not_supported(result):
    v = verdict_for(result, "high-performance implementations", 2)
    assert v.verdict == "not-supported"
    assert "is not in the text we hold" in v.reason


def test_source_without_text_gets_no_source_text(result):
    deepmind = [v for v in result.verdicts if v.ref == 3]
    assert len(deepmind) == 9
    assert {v.verdict for v in deepmind} == {"no-source-text"}
    assert all("only the reference entry" in v.reason and v.evidence == () for v in deepmind)
    assert all(q.status == "no-source-text" for v in deepmind for q in v.quotes)


def test_term_citations_are_judged_on_the_term(result):
    v = verdict_for(result, "oriented to efficiency", 14)
    assert (v.verdict, v.attributed) == ("supported", "quantization")
    v = verdict_for(result, "simulators for evaluation", 28)
    assert v.verdict == "partial" and v.missing == ("simulators",)


def test_every_pair_has_a_verdict_reason_and_valid_score(result):
    assert result.verdicts
    for v in result.verdicts:
        assert v.verdict in set(Verdict)
        assert v.reason and 0.0 <= v.score <= 1.0
        d = v.to_dict()
        assert {"claim", "section", "ref", "verdict", "evidence", "score", "reason", "quotes"} <= set(d)
    json.dumps([v.to_dict() for v in result.verdicts])


def test_uncited_quotation_gets_its_candidate_source(result):
    enabling = [u for u in result.uncited if u.quotation.text.startswith("enabling, contributing to")]
    assert len(enabling) == 1 and enabling[0].candidate.ref == 11 and enabling[0].candidate.status == "verbatim"
    office = [u for u in result.uncited if "leadership role at the intersection" in u.quotation.text]
    assert len(office) == 1 and office[0].candidate is None


def test_filters_and_unknown_reference(settings, embedder, result):
    assert {v.ref for v in run_audit(settings, ref=2, embedder=embedder)} == {2}
    assert {v.section for v in run_audit(settings, section="Hybrid Roles", embedder=embedder)} == {"2"}
    with pytest.raises(AuditError, match=r"no reference \[33\].*\[1\]–\[32\]"):
        run_audit(settings, ref=33, embedder=embedder)
    with pytest.raises(AuditError, match="no citing sentence in a section"):
        run_audit(settings, section="Acknowledgements", embedder=embedder)


def test_cli_rejects_a_reference_the_paper_does_not_have():
    from advisor.cli import app

    out = CliRunner().invoke(app, ["audit", "--ref", "40", "--json"])
    assert out.exit_code != 0
    assert "no reference [40]" in out.output


def test_answer_citations_can_look_up_the_verdicts_of_a_paper_passage(settings, embedder, result):
    v = verdict_for(result, "all of our papers have engineers as authors", 1)
    found = audit_verdicts_for(v.passage_ids[0], settings=settings, embedder=embedder)
    assert any(s["id"] == v.id and s["verdict"] == "supported" for s in found)
    assert audit_verdicts_for(v.passage_ids[0], ref=2, settings=settings, embedder=embedder) == ()
    assert audit_verdicts_for("ref-1:excerpt:02", settings=settings, embedder=embedder) == ()


def test_answers_carry_the_verdicts_of_the_paper_passages_they_cite(settings, retriever, result):
    from advisor.chat import ChatEngine
    from advisor.qa import AnswerEngine

    engine = ChatEngine(AnswerEngine(settings, retriever, llm="none"), wait_for_audit=True)
    answer = engine.ask("What experience does OpenAI's research engineer role seek?")
    # Paper passages that cite sources (a reference-list entry only names one; it has nothing to audit).
    citing = [
        c
        for c in answer.citations
        if c.evidence.passage.doc == "paper" and c.evidence.passage.cites and c.evidence.passage.kind != "reference"
    ]
    assert citing, "the answer cites a paper passage that itself cites a source"
    for citation in citing:
        assert citation.audit, f"{citation.evidence.passage.id} carries no verdicts"
        assert {v["ref"] for v in citation.audit} <= set(citation.evidence.passage.cites)
        assert all(v["verdict"] in ("supported", "partial", "not-supported", "no-source-text") for v in citation.audit)
    assert "audit" in answer.to_dict()["citations"][answer.citations.index(citing[0])]
    # A source passage has no citations of its own to audit.
    assert all(not c.audit for c in answer.citations if c.evidence.passage.doc != "paper")


def test_an_answer_never_waits_for_an_audit_that_is_not_cached(index_copy, retriever, monkeypatch):
    from advisor.audit import by_passage
    from advisor.audit import engine as audit_engine
    from advisor.chat import ChatEngine
    from advisor.core.cache import OnceCache
    from advisor.qa import AnswerEngine

    monkeypatch.setattr(by_passage, "_SUMMARIES", OnceCache(maxsize=1))
    for cached in index_copy.index_dir.glob("*/audit.json"):
        cached.unlink()
    monkeypatch.setattr(audit_engine, "audit_corpus", lambda *a, **k: pytest.fail("the audit ran inside an answer"))
    monkeypatch.setattr(by_passage, "cached_audit", lambda *a, **k: pytest.fail("the audit ran inside an answer"))
    engine = ChatEngine(AnswerEngine(index_copy, retriever, llm="none"))
    answer = engine.ask("What experience does OpenAI's research engineer role seek?")
    assert answer.citations and not any(c.audit for c in answer.citations)


def test_report_lists_problem_pairs_with_evidence_and_diff(result, settings):
    refs = load_references(CORPUS)
    report = audit_report_markdown(result.verdicts, result.uncited, result.metadata, settings, refs)
    assert report == audit_report_markdown(result.verdicts, result.uncited, result.metadata, settings, refs)
    counts = result.counts()
    assert f"| not-supported | {counts['not-supported']} |" in report
    assert "{to play → [plays]}" in report  # the quote diff of [2]
    assert "Mandlkar" in report
    section = report.split("## Not supported")[1].split("## Partially supported")[0]
    assert "high-performance implementations" in section and "`ref-2:" in section


def test_audit_is_deterministic(settings, embedder, result):
    again = audit_corpus(settings, embedder)
    assert [v.to_dict() for v in again.verdicts] == [v.to_dict() for v in result.verdicts]


# ------------------------------------------------------------------ bad corpus files


def test_empty_or_missing_source_file_gives_no_source_text(settings, embedder, corpus_copy):
    (corpus_copy / "sources" / "01-anthropic-careers.md").write_text("", encoding="utf-8")
    (corpus_copy / "sources" / "02-openai-research-engineer.md").unlink()
    broken = settings.model_copy(update={"corpus_dir": corpus_copy})
    result = audit_corpus(broken, embedder)
    by_ref = {n: [v for v in result.verdicts if v.ref == n] for n in (1, 2, 4)}
    assert by_ref[1] and all(v.verdict == "no-source-text" and "is empty" in v.reason for v in by_ref[1])
    assert by_ref[2] and all(v.verdict == "no-source-text" and "is missing" in v.reason for v in by_ref[2])
    assert any(v.verdict == "supported" for v in by_ref[4])  # the other sources are still audited
