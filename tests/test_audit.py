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
    # the name as the source spells it in full, which a reader can check
    assert "'Mandlkar' vs 'Ajay Mandlekar' (spelling)" in author.detail
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


def test_quotation_missing_from_a_partial_copy_is_unverifiable(result):
    # We hold three short excerpts of the job description: a quotation that is not in them may be in the
    # rest of the page, so it is neither confirmed nor refuted, and the verdict says what we looked for.
    v = verdict_for(result, "high-performance implementations", 2)
    assert v.verdict == "unverifiable"
    assert "is not in the text we hold" in v.reason and "our copy lacks" in v.reason
    assert v.looked_for == ("high-performance implementations of deep learning algorithms",)


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
        assert all(v["verdict"] in set(Verdict) for v in citation.audit)
        assert all({"term_support", "claim_support", "finding"} <= set(v) for v in citation.audit)
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
    assert "[cut after: “of the future.”]" in report  # and what the quotation leaves off at its end
    assert "Mandlkar" in report
    # The ranked findings come first, the most serious at the top; every problem pair is among them.
    assert report.index("## Findings, most serious first") < report.index("## Summary")
    findings = report.split("## Findings, most serious first")[1].split("## Summary")[0]
    assert "high-performance implementations" in findings and "*The source:*" in findings
    ranked = result.findings()
    assert [f.severity for f in ranked] == sorted((f.severity for f in ranked), reverse=True)
    listed = {i for f in ranked for i in f.ids}
    assert {v.id for v in result.verdicts if v.verdict != "supported"} <= listed
    # The table of every pair wraps its cells instead of cutting them.
    table = report.split("## Every pair")[1].split("## Quotations attributed")[0]
    for v in result.verdicts:
        assert v.claim.replace("|", "\\|") in table


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


# ------------------------------------------------------------------ claim-level audit (issue 13)


def test_a_term_is_judged_on_meaning_not_on_each_word(result):
    # Chinchilla's abstract never says "laws", but it is a scaling study: the corpus's source nearest
    # to the term after Kaplan et al. The agent-evaluation benchmarks are about evaluation, not simulators.
    v = verdict_for(result, "landmark projects", 18)
    assert v.term_support.verdict == "supported" and "laws" in v.term_support.reason
    assert v.term_support.rank <= 3
    for ref in (29, 30, 31):
        w = verdict_for(result, "simulators for evaluation", ref)
        assert w.term_support.verdict in ("partial", "not-supported")
        assert "simulators" in w.term_support.missing


def test_a_citation_used_for_a_claim_its_source_does_not_discuss_is_a_finding(result):
    # "This was essential in landmark projects like OpenAI's GPT-3 and GPT-4, where novel techniques
    # (e.g. scaling laws [17, 18] ...)": Kaplan et al. introduce scaling laws but never mention GPT-4.
    v = verdict_for(result, "landmark projects", 17)
    assert v.term_support.verdict == "supported"
    assert v.claim_support.verdict == "not-supported"
    assert {"GPT-3", "GPT-4"} <= set(v.claim_support.missing)
    assert v.verdict == "partial" and "does not discuss" in v.reason
    instruct = verdict_for(result, "landmark projects", 20)  # InstructGPT names GPT-3 and OpenAI, not GPT-4
    assert instruct.claim_support.missing == ("GPT-4",)
    kinds = {f.kind for f in result.findings() if v.id in f.ids}
    assert kinds == {"claim-use"}
    # A term used only as an example of what the sentence says stays supported.
    assert verdict_for(result, "oriented to efficiency", 16).verdict == "supported"


def test_the_part_of_a_source_our_copy_lacks_is_unverifiable_not_unsupported(result):
    # Our copy of [6] holds only the article's opening section.
    v = verdict_for(result, "According to Amazon’s AI leadership", 6)
    assert v.verdict == "unverifiable"
    assert v.looked_for and v.looked_for[0].startswith("research and applied scientists are expected")


def test_quotation_cuts_qualifiers_and_the_sources_voice(result):
    # [2]: "We expect engineering to play a key role in most major advances in AI of the future."
    v = verdict_for(result, "engineering [plays] a key role", 2)
    q = v.quotes[0]
    assert (q.cut_before, q.cut_after) == ("We expect", "of the future.")
    assert q.qualifiers == ("of the future",)
    assert "expectation" in q.voice
    # [12]: "For some teams, there's no difference ... Research scientists should, first and foremost, be engineers."
    v = verdict_for(result, "first and foremost", 12)
    assert v.quotes[0].qualifiers == ("For some teams",)
    assert v.verdict == "partial" and "For some teams" in v.reason
    # [4]: "… depends a little more on the team you end up on."
    v = verdict_for(result, "Meta hires research scientists", 4)
    assert v.quotes[0].cut_after == "you end up on."
    # The paper keeps the expectation ("expecting the scientist to …") and attributes the view ("noted"):
    # nothing to flag.
    v = verdict_for(result, "primarily write software", 4)
    assert all(not q.voice and not q.qualifiers for q in v.quotes)
    assert v.verdict == "supported"


def test_disagreement_checks_polarity_numbers_and_quantifiers():
    from advisor.audit.polarity import disagreement

    assert "negates" in disagreement(
        "Research engineer roles do not require a PhD.", "Research engineer roles require a PhD."
    )
    assert disagreement("It is not uncommon to see engineers on papers.", "Engineers are often on papers.") == ""
    assert "numbers differ" in disagreement("The loop has six interviews.", "The loop has seven interviews.")
    assert "all" in disagreement("All teams share one title.", "Some teams share one title.")
    assert disagreement("Teams share one title.", "Teams share one title.") == ""


def test_consistency_finds_an_uncited_sentence_the_corpus_contradicts(settings, embedder):
    from advisor.audit.citing import CitingSentence
    from advisor.audit.claims import CALIBRATION
    from advisor.audit.consistency import consistency_findings
    from advisor.audit.meaning import SpanIndex

    refs = load_references(CORPUS)
    sources = {n: load_source_text(CORPUS, ref, settings.window_words) for n, ref in refs.items()}
    index = SpanIndex(sources, embedder)
    # [1]: "Neither a PhD nor prior ML experience is required; roughly half of the technical staff hold a PhD …"
    wrong = "Anthropic requires a PhD and prior ML experience of everyone on its technical staff."
    agrees = "Roughly half of Anthropic's technical staff hold a PhD, and a PhD is not required."
    other = "Anthropic does not require a PhD or prior ML experience of anyone on its technical staff."
    text = f"{wrong} {agrees} " + "x " * 300 + other
    sentences = [
        CitingSentence(wrong, 0, len(wrong), 1, "4", "Roles", ()),
        CitingSentence(agrees, len(wrong) + 1, len(wrong) + 1 + len(agrees), 1, "4", "Roles", ()),
        CitingSentence(other, text.index(other), len(text), 3, "5", "Teams", ()),
    ]
    found = consistency_findings(sentences, index, text, CALIBRATION)
    against_source = [f for f in found if f.kind == "uncited-vs-source"]
    assert [f.sentence for f in against_source] == [wrong]
    assert against_source[0].other_ref == 1 and "negates" in against_source[0].why
    within = [f for f in found if f.kind == "paper-vs-paper"]
    assert within and within[0].sentence == wrong and within[0].other == other and within[0].other_line == 3


def test_json_rows_keep_their_keys_and_gain_the_new_ones(result):
    from advisor.cli import app

    out = CliRunner().invoke(app, ["audit", "--ref", "17", "--json"])
    assert out.exit_code == 0, out.output
    rows = json.loads(out.stdout)
    assert isinstance(rows, list) and rows
    old = {"id", "claim", "section", "section_title", "ref", "verdict", "reason", "score", "evidence", "quotes"}
    old |= {"citation_kind", "attributed", "missing", "similarity", "overlap", "start", "end", "line"}
    old |= {"passage_ids", "reference", "source_file"}
    for row in rows:
        assert old <= set(row)
        assert row["term_support"]["question"] == "term" and row["claim_support"]["question"] == "claim"
        assert {"finding", "severity", "looked_for"} <= set(row)


def test_eval_audit_reports_precision_recall_and_counts(result, tmp_path):
    from advisor.cli import app
    from advisor.evaluation.audit import evaluate_audit_labels, load_labels

    labels = tmp_path / "labels.jsonl"
    lines = [
        ("a", "engineering [plays] a key role", 2, ["partial"]),
        ("b", "engineers have been first authors", 1, ["supported"]),
        ("c", "have engineers as authors, and often", 1, ["partial"]),
        ("d", "regardless of their background", 1, ["contradicted"]),
    ]
    labels.write_text(
        "".join(
            json.dumps({"id": i, "sentence": s, "ref": r, "acceptable": a, "reason": ""}) + "\n" for i, s, r, a in lines
        ),
        encoding="utf-8",
    )
    ev = evaluate_audit_labels(load_labels(labels), result)
    by_id = {r["id"]: r for r in ev["results"]}
    assert by_id["a"]["predicted"] == "partial" and by_id["a"]["correct"]
    assert by_id["b"]["predicted"] == "supported" and by_id["b"]["correct"]
    assert by_id["c"]["predicted"] == "supported" and not by_id["c"]["correct"]  # a real problem missed
    assert not by_id["d"]["matched"] and by_id["d"]["predicted"] == "supported"
    assert (ev["true_positives"], ev["false_negatives"], ev["false_positives"]) == (1, 2, 0)
    assert (ev["precision"], ev["recall"]) == (1.0, round(1 / 3, 4))
    out = CliRunner().invoke(app, ["eval", "audit", "--set", str(labels), "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["recall"] == ev["recall"]
    labels.write_text('{"sentence": "x", "ref": 1, "acceptable": ["fine"]}\n', encoding="utf-8")
    out = CliRunner().invoke(app, ["eval", "audit", "--set", str(labels)])
    assert out.exit_code == 2 and "unknown verdicts" in out.output


def test_llm_judge_counts_only_with_a_confirmed_source_span(result, settings):
    from advisor.audit.judge import JudgeError, judge_result

    target = verdict_for(result, "conscious part of Anthropic", 1)
    assert target.verdict == "partial"
    real = "we think that boundary has dissolved with the advent of large models"

    def answer(quote):
        return lambda prompt: json.dumps({"verdict": "supported", "quote": quote, "reason": "it says so"})

    judged = {v.id: v for v in judge_result(result, "openai:test", settings, ask=answer(real)).verdicts}
    assert judged[target.id].verdict == "supported" and judged[target.id].judge["confirmed"]
    assert judged[target.id].judge["passage_id"].startswith("ref-1:")
    made_up = "the culture of fluidity is a conscious choice of the company"
    judged = {v.id: v for v in judge_result(result, "openai:test", settings, ask=answer(made_up)).verdicts}
    assert judged[target.id].verdict == "partial" and judged[target.id].judge["confirmed"] is False
    # A supported pair far from every threshold is not borderline: the model is not asked about it.
    clear = verdict_for(result, "Anthropic explicitly notes that engineers", 1)
    assert judged[clear.id].judge is None
    with pytest.raises(JudgeError):
        judge_result(result, "local", settings)
