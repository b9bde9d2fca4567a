"""The web app's HTML rendering (ui.render): escaping, citation chips, evidence highlighting, export,
role fit and the evidence explorer. Pure functions over hand-made answers and the real corpus files."""

from __future__ import annotations

import re

import pytest

from advisor.audit import citation_pairs, citing_sentences
from advisor.core.settings import PROJECT_ROOT
from advisor.core.types import Answer, Citation, Claim, Evidence, Passage
from advisor.corpus import PAPER_FILE, load_references, markdown_blocks, read_text
from ui import render
from ui.session import ChatSession, Turn

XSS = "<img src=x onerror=alert(1)>"
CORPUS = PROJECT_ROOT / "corpus"


def make_passage(
    text: str = "Research engineers build large-scale training systems.",
    *,
    doc: str = "paper",
    file: str = "paper.md",
    start: int = 0,
    url: str = "https://example.org/paper",
    section: str = "3",
    section_title: str = "Shared Technical Skills",
    kind: str = "paragraph",
    pid: str = "paper:3:00",
    year: int | None = 2025,
    title: str = "The AI Roles Continuum",
) -> Passage:
    return Passage(
        id=pid,
        text=text,
        doc=doc,
        title=title,
        section=section,
        section_title=section_title,
        kind=kind,
        cites=(),
        url=url,
        file=file,
        start=start,
        end=start + len(text),
        year=year,
    )


def make_answer(mode: str = "grounded", claims=None, passages=None, **fields) -> Answer:
    passages = passages or [make_passage()]
    citations = tuple(Citation(i + 1, Evidence(p, 0.5)) for i, p in enumerate(passages))
    claims = claims if claims is not None else (Claim("Research engineers build training systems.", (1,), 0.81, True),)
    text = " ".join(f"{c.text} " + "".join(f"[{n}]" for n in c.citations) for c in claims)
    return Answer(
        question="q",
        answer=text,
        citations=citations,
        claims=tuple(claims),
        grounded=bool(claims),
        backend="test",
        mode=mode,
        **fields,
    )


def tags(html: str) -> list[str]:
    return re.findall(r"<\s*([a-zA-Z][\w-]*)", html)


# ---------------------------------------------------------------- escaping


def test_user_text_with_markup_is_shown_literally():
    html = render.user_message_html(XSS)
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "img" not in tags(html)


def test_document_text_with_markup_is_escaped_in_the_evidence_panel():
    passage = make_passage(f"A source that says {XSS} and <script>alert(2)</script>.")
    html = render.passage_panel_html(passage, None, label="[1]")
    assert "img" not in tags(html) and "script" not in tags(html)
    assert "&lt;script&gt;" in html


def test_notices_and_draft_tokens_are_escaped():
    html = render.pending_answer_html("Drafting…", draft=XSS, notices=[XSS])
    assert "img" not in tags(html)
    assert html.count("&lt;img") == 2


def test_only_http_urls_become_links():
    assert render.safe_url("https://openai.com/careers") == "https://openai.com/careers"
    assert render.safe_url("javascript:alert(1)") is None
    assert render.safe_url("corpus/paper.md") is None
    assert "href" not in render.link_html("javascript:alert(1)")
    assert 'rel="noopener noreferrer"' in render.link_html("https://example.org/x")


def test_chat_markup_has_no_blank_line_that_would_end_the_html_block():
    claim = Claim("First line.\n\nSecond paragraph of the same sentence.", (1,), 0.9, True)
    html = render.answer_html(make_answer(claims=[claim]), 0, extra_notices=["a\n\nb"])
    assert "\n" not in html


# ---------------------------------------------------------------- answers and chips


def test_each_claim_citation_becomes_a_chip_keyed_by_turn_claim_and_number():
    passages = [make_passage(pid="a"), make_passage("Applied scientists ship models.", pid="b")]
    claims = [Claim("Engineers build systems.", (1,), 0.8, True), Claim("Scientists ship models.", (2, 1), 0.7, True)]
    html = render.answer_html(make_answer(claims=claims, passages=passages), turn=4)
    assert re.findall(r'href="#(cite-[\d-]+)"', html) == ["cite-4-0-1", "cite-4-1-2", "cite-4-1-1"]
    assert render.parse_key("cite-4-1-2") == render.ChipKey("cite", ("4", "1", "2"))


def test_quoted_evidence_sentences_are_rendered_as_quotes():
    claims = [Claim("“Research engineers build systems.”", (1,), 1.0, True, "quote")]
    html = render.answer_html(make_answer("evidence", claims=claims), 0)
    assert '<blockquote class="claim quote">' in html and "Quoted from the source" in html
    assert "mode-evidence" in html


def test_not_covered_answers_look_different_and_list_related_passages():
    related = (Evidence(make_passage("Salaries are not discussed; this is about skills.", pid="r1"), 0.2),)
    answer = Answer(
        question="What do they earn?",
        answer="The paper and its sources do not cover this question.",
        citations=(),
        claims=(),
        grounded=False,
        backend="test",
        mode="not-covered",
        related=related,
    )
    html = render.answer_html(answer, 2)
    assert "mode-not-covered" in html and "Not covered" in html
    assert 'href="#rel-2-0"' in html and "Salaries are not discussed" in html
    assert "cite-" not in html


def test_weak_support_is_badged_differently_from_supported():
    assert render.support_label(Claim("x", (1,), 0.82, True))[0] == "supported"
    assert render.support_label(Claim("x", (1,), 0.41, False))[0] == "weak"
    assert render.support_label(Claim("x", (1,), 1.0, True, "quote"))[0] == "quote"


def test_malformed_chip_keys_are_rejected():
    for key in (None, "", "cite-1-2", "cite-a-b-c", "rel-1", "ref-x", "javascript:alert(1)", 42):
        assert render.parse_key(key) is None


# ---------------------------------------------------------------- evidence panel


def test_the_cited_span_is_highlighted_inside_its_paragraph():
    file_text = "# T\n\nFirst sentence here. The cited sentence is this one. Last sentence.\n\nNext paragraph."
    span = "The cited sentence is this one."
    passage = make_passage(span, start=file_text.index(span))
    before, middle, after = render.passage_in_context(file_text, passage)
    assert (before, middle, after) == ("First sentence here. ", span, " Last sentence.")
    html = render.citation_panel_html(Citation(1, Evidence(passage, 0.5)), Claim("Claim.", (1,), 0.9, True), file_text)
    assert f'<mark class="ev-span">{span}</mark>' in html
    for shown in (
        "The AI Roles Continuum",
        "2025",
        "§3 Shared Technical Skills",
        "https://example.org/paper",
        "supported · 0.90",
        "Claim.",
    ):
        assert shown in html


def test_a_list_item_is_shown_alone_without_its_marker():
    file_text = "Intro.\n\n- **OpenAI:** first item text.\n- second item text.\n"
    span = "second item text."
    passage = make_passage(span, start=file_text.index(span), kind="bullet")
    assert render.passage_in_context(file_text, passage) == ("", span, "")


def test_a_passage_that_no_longer_matches_its_file_stands_alone():
    passage = make_passage("Text that moved.", start=3)
    assert render.passage_in_context("completely different file text", passage) == ("", "Text that moved.", "")


def test_section_path_names_paper_sections_and_sources():
    assert render.section_path(make_passage(kind="table-row")) == "Paper › §3 Shared Technical Skills › Table 1 row"
    source = make_passage(doc="ref-12", section="Key facts", section_title="Key facts", kind="fact")
    assert render.section_path(source) == "Source [12] › Key facts"


def test_a_reference_without_source_text_says_so():
    refs = load_references(CORPUS)
    no_text = next(r for r in refs.values() if not r.source_file)
    html = render.reference_panel_html(no_text, None)
    assert "No source text is available" in html and render.esc(no_text.title) in html


def test_source_markdown_is_rendered_from_escaped_text():
    html = render.render_markdown_safely(f"# Title\n\n- **Key:** {XSS}\n\nA *quoted* paragraph.")
    assert "<h4>Title</h4>" in html and "<strong>Key:</strong>" in html and "<em>quoted</em>" in html
    assert "img" not in tags(html)


# ---------------------------------------------------------------- streaming, session, export


def test_the_final_answer_replaces_the_streamed_draft():
    session = ChatSession([Turn("Do REs need a PhD?")])
    streaming = render.chat_messages(session.turns, ("Drafting…", "Partial draft that the backend never fin"))
    assert "Partial draft" in streaming[-1]["content"]
    session.turns[0].answer = make_answer(
        "evidence",
        claims=[Claim("“Quoted.”", (1,), 1.0, True, "quote")],
        notices=("The language model was unavailable (backend died).",),
    )
    final = render.chat_messages(session.turns, None)
    assert "Partial draft" not in final[-1]["content"]
    assert "language model was unavailable" in final[-1]["content"]


def test_history_holds_only_completed_turns():
    session = ChatSession([Turn("first", make_answer()), Turn("second")])
    assert [m["role"] for m in session.history()] == ["user", "assistant"]
    assert session.history()[0]["content"] == "first"


def test_markdown_export_has_questions_answers_and_sources():
    passage = make_passage(url="https://openai.com/careers/research-engineer", doc="ref-2", title="OpenAI RE")
    md = render.conversation_markdown([("Do REs publish?", make_answer(passages=[passage])), ("Unanswered", None)])
    assert "## 1. Do REs publish?" in md
    assert "Research engineers build training systems. [1]" in md
    assert "- [1] [2] OpenAI RE (2025)" in md and "<https://openai.com/careers/research-engineer>" in md
    assert "## 2. Unanswered" in md


# ---------------------------------------------------------------- role fit


def fit_result(close: bool = True) -> dict:
    cite = {
        "id": "paper:4:00",
        "text": "Research scientists invent methods.",
        "doc": "paper",
        "section": "4",
        "section_title": "Role Definitions",
        "kind": "paragraph",
        "file": "paper.md",
        "url": "",
        "start": 0,
        "end": 10,
    }
    row = lambda role, score: {
        "role": role,
        "score": score,
        "citations": [cite],  # noqa: E731
        "reasons": [{"text": f"{role} reason {XSS}", "effect": "match", "citations": [cite]}],
    }
    return {
        "ranking": [row("Research Scientist", 0.41), row("Research Engineer", 0.36)],
        "message": "Best fit: Research Scientist",
        "confidence_label": "medium",
        "needs_more": False,
        "follow_up": {"question": "Do you want to publish?", "citation": cite} if close else None,
        "archetypes": [{"name": "Frontier lab", "score": 0.5, "why": "Labs hire both.", "citation": cite}],
    }


def test_fit_chips_are_numbered_in_the_order_fit_citations_lists_them():
    fit = fit_result()
    html = render.fit_html(fit, "tab")
    keys = re.findall(r'href="#(fit-tab-\d+)"', html)
    assert keys == [f"fit-tab-{i}" for i in range(len(render.fit_citations(fit)))] and len(keys) == 6
    assert "Research Scientist" in html and "41%" in html and "Frontier lab" in html
    assert "img" not in tags(html)


def test_fit_follow_up_appears_only_when_the_top_two_are_close():
    assert "follow-up" in render.fit_html(fit_result(close=True), "tab")
    assert "follow-up" not in render.fit_html(fit_result(close=False), "tab")


def test_a_fit_that_needs_more_input_asks_for_it():
    html = render.fit_html({"needs_more": True, "message": "Tell me more about yourself."}, "tab")
    assert "needs-more" in html and "Tell me more" in html and "cite" not in html


# ---------------------------------------------------------------- evidence explorer (real paper)


@pytest.fixture(scope="module")
def paper():
    text = read_text(CORPUS / PAPER_FILE)
    refs = load_references(CORPUS)
    return text, markdown_blocks(text), refs


def test_explorer_lists_the_sections_of_the_paper_in_order(paper):
    text, blocks, _ = paper
    keys = [key for key, _ in render.paper_sections(blocks)]
    assert keys.index("Abstract") < keys.index("1") < keys.index("7") < keys.index("References")


def test_every_citing_sentence_of_a_section_lists_its_references(paper):
    text, blocks, refs = paper
    titles = {n: r.title for n, r in refs.items()}
    html = render.explorer_section_html(text, blocks, "2", titles)
    citing = [c for c in render.citing_sentences(text, blocks, refs) if c.section == "2"]
    assert citing and f"Citing sentences in this section ({len(citing)})" in html
    listed = re.findall(r'<li class="citing-sentence">(.*?)</ul></li>', html)
    assert len(listed) == len(citing)
    for sentence, item in zip(citing, listed):
        assert re.findall(r'href="#ref-(\d+)"', item) == [str(n) for n in sentence.refs]


def test_meta_interview_quote_cites_reference_4(paper):
    text, blocks, refs = paper
    sentence = next(c for c in render.citing_sentences(text, blocks, refs) if "depends on the team" in c.text)
    assert sentence.refs == (4,)


def test_claims_keep_their_reading_order_across_quotes_and_drafted_sentences():
    claims = [
        Claim("“Lead quote.”", (1,), 1.0, True, "quote"),
        Claim("Drafted one.", (1,), 0.9, True),
        Claim("Drafted two.", (1,), 0.8, True),
    ]
    html = render.answer_html(make_answer(claims=claims), 0)
    assert html.index("Lead quote") < html.index("Drafted one") < html.index("Drafted two")
    assert html.count('<p class="claims">') == 1


def test_a_fit_answered_in_chat_shows_cited_reasons_ranking_and_chart_inline():
    claims = [
        Claim("From what you describe, Research Scientist fits best (41% of the fit).", (1,), 1.0, True, "fit"),
        Claim("You want to publish, which Research Scientists do most.", (1,), 1.0, True, "fit"),
    ]
    answer = make_answer("fit", claims=claims, fit=fit_result())
    session = ChatSession([Turn("Which role fits me?", answer, chart_png="iVBORw0KGgo=")])
    html = render.chat_messages(session.turns)[-1]["content"]
    assert "mode-fit" in html and 'href="#cite-0-1-1"' in html  # the cited reasons, as chat citations
    assert html.count('class="fit-role-name"') == 2 and "41%" in html  # the ranking
    assert '<img class="fit-chart"' in html and "data:image/png;base64,iVBORw0KGgo=" in html
    # Compact: reasons are not repeated; only the archetype chip numbers into fit_citations(compact=True).
    assert "reason " + render.esc(XSS) not in html
    assert re.findall(r'href="#(fit-t0-\d+)"', html) == ["fit-t0-0"]
    assert render.fit_citations(fit_result(), compact=True) == [fit_result()["archetypes"][0]["citation"]]


def test_the_explorer_lists_the_audits_own_citing_sentences(paper):
    text, blocks, refs = paper
    explorer = render.citing_sentences(text, blocks, refs)
    audited = citing_sentences(text)
    assert [(c.start, c.end, c.refs) for c in explorer] == [(s.start, s.end, s.refs) for s in audited]
    # every (sentence, reference) the explorer lists is one audit pair, by id
    assert {c.pair_id(n) for c in explorer for n in c.refs} == {p.id for s in audited for p in citation_pairs(s)}
    # a quotation the sentence splitter would cut in two stays one sentence, with its citation
    (quoted,) = [c for c in explorer if "importance sampling" in c.text]
    assert quoted.refs == (11,) and quoted.text.startswith("As one research engineer noted")


def test_audit_verdicts_appear_next_to_the_reference_they_judge(paper):
    text, blocks, refs = paper
    titles = {n: r.title for n, r in refs.items()}
    sentence = next(c for c in render.citing_sentences(text, blocks, refs) if "depends on the team" in c.text)
    verdict = {
        "id": f"paper@{sentence.start}#4",
        "ref": 4,
        "verdict": "partial",
        "score": 0.71,
        "claim": sentence.text,
        "reason": "the quotation differs in one word",
    }
    assert render.verdicts_for(sentence, 4, [verdict]) == [verdict]
    assert render.verdicts_for(sentence, 5, [verdict]) == []
    # A verdict belongs to the sentence its id names: one of a sentence starting nearby is not this one's.
    assert render.verdicts_for(sentence, 4, [{**verdict, "id": f"paper@{sentence.start - 3}#4"}]) == []
    html = render.explorer_section_html(text, blocks, "2", titles, [verdict])
    assert html.count('class="verdict verdict-partial"') == 1
    panel = render.reference_panel_html(refs[4], "source", [sentence], [verdict])
    assert "verdict-partial" in panel and "the quotation differs in one word" in panel


def test_stream_ticks_fill_the_pauses_and_errors_reach_the_caller():
    import threading

    from ui.streaming import events_with_ticks

    release = threading.Event()

    def stalled():
        yield {"type": "token", "text": "partial"}
        release.wait()  # a backend that stops sending
        raise ConnectionResetError("backend died")

    stream = events_with_ticks(stalled(), interval=0.01)
    assert next(stream) == {"type": "token", "text": "partial"}
    assert next(stream) is None  # a tick while nothing arrives: the caller can redraw the partial draft
    release.set()
    with pytest.raises(ConnectionResetError):
        list(stream)
