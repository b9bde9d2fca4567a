"""Pure presentation helpers for the web app: answers, evidence, role fit and the paper as HTML strings.

Safety rule: every piece of user or document text goes through `esc` before it is placed in markup, so
"<img src=x onerror=alert(1)>" in a question, a CV or a source shows as text and runs nothing. Links are
emitted only for http(s) URLs.

Chat messages are rendered by gr.Chatbot as Markdown with its HTML sanitizer on. Markdown ends an HTML
block at the first blank line, so every message is built as one line of markup (newlines inside text
become <br>). Chips are `<a href="#cite-…" class="cite">[n]</a>`: the sanitizer keeps class, href, title
and id, and the evidence panel's click listener reads the href.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from advisor.agent import describe_steps
from advisor.audit import CitingSentence, block_sentence_spans
from advisor.audit import citing_sentences as audit_citing_sentences
from advisor.core.text import CITATION, citation_numbers, strip_markdown
from advisor.core.types import Answer, Citation, Claim, Evidence, Passage

MODE_LABELS = {
    "grounded": "Answer — every sentence checked against the passage it cites",
    "evidence": "From the sources — quoted evidence",
    "not-covered": "Not covered by the paper or its sources",
    "fit": "Role fit",
    "tool": "Answer — from the advisor's tools, every sentence checked against the passage it cites",
}

CONTEXT_CHARS = 700  # surrounding text shown on each side of a highlighted span, at most


# ---------------------------------------------------------------- escaping and small pieces


def as_mapping(result) -> Mapping:
    """A role-fit result as its JSON mapping (an Answer carries the RoleFit itself)."""
    if result is None:
        return {}
    return result if isinstance(result, Mapping) else result.to_dict()


def esc(value: object) -> str:
    """HTML-escape any value, quotes included (safe in text and in attribute values)."""
    return html.escape("" if value is None else str(value), quote=True)


def text_html(text: str) -> str:
    """Escaped text with line breaks kept, on one line of markup (see the module note on blank lines)."""
    return re.sub(r"\r?\n", "<br>", esc(text))


def display_text(text: str) -> str:
    """Document text for reading: Markdown emphasis and <sup> tags dropped, then escaped."""
    return text_html(strip_markdown(text))


def safe_url(url: str | None) -> str | None:
    """Only absolute http(s) URLs become links; anything else (javascript:, relative paths) is text."""
    url = (url or "").strip()
    return url if re.match(r"^https?://[^\s\"'<>]+$", url) else None


def link_html(url: str | None, label: str = "Open the original") -> str:
    href = safe_url(url)
    if href is None:
        return f'<span class="ev-url">{esc(url)}</span>' if url else ""
    return f'<a class="ev-link" href="{esc(href)}" target="_blank" rel="noopener noreferrer">{esc(label)}</a>'


def chip(key: str, label: str, title: str = "", extra_class: str = "") -> str:
    """A clickable citation marker; the evidence panel's listener sends `key` to Python."""
    cls = f"cite {extra_class}".strip()
    return f'<a href="#{esc(key)}" class="{cls}" title="{esc(title)}">[{esc(label)}]</a>'


def citation_key(turn: int, claim_index: int, n: int) -> str:
    return f"cite-{turn}-{claim_index}-{n}"


def related_key(turn: int, index: int) -> str:
    return f"rel-{turn}-{index}"


def fit_key(scope: str, index: int) -> str:
    return f"fit-{scope}-{index}"


def reference_key(ref: int) -> str:
    return f"ref-{ref}"


@dataclass(frozen=True)
class ChipKey:
    kind: str  # "cite", "rel", "fit", "ref"
    parts: tuple[str, ...]

    def number(self, i: int) -> int:
        return int(self.parts[i])


def parse_key(key: str | None) -> ChipKey | None:
    """'cite-3-0-2' -> ChipKey('cite', ('3', '0', '2')); anything malformed -> None."""
    if not key or not isinstance(key, str):
        return None
    key = key.lstrip("#")
    patterns = {
        "cite": r"cite-(\d+)-(\d+)-(\d+)",
        "rel": r"rel-(\d+)-(\d+)",
        "fit": r"fit-([a-z0-9]+)-(\d+)",
        "ref": r"ref-(\d+)",
    }
    for kind, pattern in patterns.items():
        match = re.fullmatch(pattern, key)
        if match:
            return ChipKey(kind, match.groups())
    return None


def source_label(passage: Passage) -> str:
    """'The AI Roles Continuum … (2025)' / '[12] Research scientist vs. … (2021)'."""
    year = f" ({passage.year})" if passage.year else ""
    return f"{source_title(passage)}{year}"


def source_title(passage: Passage) -> str:
    """Source label without the year (the evidence panel shows the year on its own)."""
    prefix = "" if passage.doc == "paper" else f"[{passage.doc.split('-', 1)[-1]}] "
    return f"{prefix}{passage.title}"


def section_path(passage: Passage) -> str:
    """Where the passage sits: 'Paper › §3 Shared Technical Skills… › Table 1 row'."""
    if passage.doc == "paper":
        parts = ["Paper"]
        if passage.section.isdigit():
            parts.append(f"§{passage.section} {passage.section_title}")
        elif passage.section not in ("Title",):
            parts.append(passage.section_title or passage.section)
        kind = {
            "table-row": "Table 1 row",
            "caption": "Figure/table caption",
            "bullet": "List item",
            "reference": "Reference entry",
        }.get(passage.kind)
        if kind:
            parts.append(kind)
        return " › ".join(parts)
    ref = passage.doc.split("-", 1)[-1]
    return " › ".join(p for p in (f"Source [{ref}]", passage.section_title) if p)


# ---------------------------------------------------------------- chat messages


def user_message_html(text: str) -> str:
    return f'<div class="user-text">{text_html(text)}</div>'


def notices_html(notices: Iterable[str]) -> str:
    items = "".join(f'<li class="notice">{text_html(n)}</li>' for n in notices if n)
    return f'<ul class="notices">{items}</ul>' if items else ""


def pending_answer_html(
    status: str, draft: str = "", notices: Sequence[str] = (), preview: Answer | None = None, turn: int = 0
) -> str:
    """The assistant bubble while an answer streams: the verified evidence answer when it is ready (quoted
    sentences, checked already), the status line, then the unverified draft so far."""
    preview_part = ""
    if preview is not None and preview.claims:
        citations = {c.n: c for c in preview.citations}
        claims = "".join(claim_html(claim, i, turn, citations) for i, claim in enumerate(preview.claims))
        preview_part = f'<div class="preview mode-evidence">{claims}</div>'
    draft_part = (
        f'<div class="draft" title="Draft: not yet checked against the sources">{text_html(draft)}</div>'
        if draft
        else ""
    )
    return (
        f'<div class="answer pending">{preview_part}<div class="status">{text_html(status)}</div>{draft_part}'
        f"{notices_html(notices)}</div>"
    )


def support_label(claim: Claim) -> tuple[str, str]:
    """(css class, text) of a sentence's support badge."""
    if claim.origin == "quote":
        return "quote", "quoted from the source"
    if claim.origin == "fit":
        return "fit", "role-fit reasoning from Table 1"
    if claim.origin == "note":
        return "note", "note"
    if claim.supported:
        return "supported", f"supported · {claim.support:.2f}"
    return "weak", f"weak · {claim.support:.2f}"


def _citation_title(citations: Mapping[int, Citation], n: int) -> str:
    citation = citations.get(n)
    if citation is None:
        return ""
    passage = citation.evidence.passage
    return f"{source_label(passage)} — {section_path(passage)}"


def claim_html(claim: Claim, claim_index: int, turn: int, citations: Mapping[int, Citation]) -> str:
    chips = "".join(
        chip(citation_key(turn, claim_index, n), str(n), _citation_title(citations, n)) for n in claim.citations
    )
    badge_class, _ = support_label(claim)
    if claim.origin == "quote":
        return (
            f'<blockquote class="claim quote"><span class="quote-label">Quoted from the source'
            f"</span> {text_html(claim.text)} {chips}</blockquote>"
        )
    return f'<span class="claim {esc(claim.origin)} {badge_class}">{text_html(claim.text)} {chips}</span> '


def text_with_chips(text: str, turn: int, citations: Mapping[int, Citation]) -> str:
    """Answer text whose [n] markers become chips (for answers that carry no per-sentence claims)."""
    out, pos = [], 0
    for match in CITATION.finditer(text):
        out.append(text_html(text[pos : match.start()]))
        out.extend(
            chip(citation_key(turn, 0, n), str(n), _citation_title(citations, n))
            for n in citation_numbers(match.group(1))
        )
        pos = match.end()
    out.append(text_html(text[pos:]))
    return "".join(out)


def related_html(related: Sequence[Evidence], turn: int) -> str:
    if not related:
        return ""
    items = []
    for i, ev in enumerate(related):
        p = ev.passage
        snippet = strip_markdown(p.text)
        snippet = snippet if len(snippet) <= 220 else snippet[:220].rsplit(" ", 1)[0] + " …"
        items.append(
            f"<li>{chip(related_key(turn, i), str(i + 1), source_label(p), 'related')} "
            f'<span class="rel-source">{esc(source_label(p))} · {esc(section_path(p))}</span>'
            f'<div class="rel-snippet">{esc(snippet)}</div></li>'
        )
    return (
        '<div class="related"><div class="related-head">Related reading — near the question, '
        f"but not an answer to it</div><ol>{''.join(items)}</ol></div>"
    )


def answer_html(answer: Answer, turn: int, extra_notices: Sequence[str] = (), fit_body: str = "") -> str:
    """The final assistant bubble. Modes look different: grounded sentences, quoted evidence blocks,
    a 'not covered' card with related passages, or a role-fit result (rendered by the caller)."""
    mode = answer.mode if answer.mode in MODE_LABELS else "grounded"
    citations = {c.n: c for c in answer.citations}
    head = f'<div class="answer-head"><span class="mode-badge">{esc(MODE_LABELS[mode])}</span></div>'
    if answer.claims:
        # In reading order: quotes stand as blocks, consecutive drafted sentences share a paragraph.
        blocks: list[str] = []
        sentences: list[str] = []
        for i, claim in enumerate(answer.claims):
            if claim.origin == "quote":
                if sentences:
                    blocks.append(f'<p class="claims">{"".join(sentences)}</p>')
                    sentences = []
                blocks.append(claim_html(claim, i, turn, citations))
            else:
                sentences.append(claim_html(claim, i, turn, citations))
        if sentences:
            blocks.append(f'<p class="claims">{"".join(sentences)}</p>')
        body = "".join(blocks)
    else:
        body = f'<p class="answer-text">{text_with_chips(answer.answer, turn, citations)}</p>'
    if mode == "not-covered":
        body += related_html(answer.related, turn)
    if fit_body:
        # A fit answer's cited sentences give its lead and reasons; without them the fit result speaks alone.
        body = (body if answer.claims else "") + fit_body
    notices = notices_html([*extra_notices, *answer.notices])
    return f'<div class="answer mode-{mode}">{head}{body}{notices}{steps_html(answer.steps)}</div>'


def steps_html(steps: Sequence) -> str:
    """The plan under an answer, collapsed: one summary line ("Looked up Table 1 · checked the citation of
    [3]"), and each tool call with its arguments, result and time when opened."""
    if not steps:
        return ""
    rows = "".join(
        f"<li><code>{esc(s.tool)}</code> {esc(', '.join(f'{k}={v}' for k, v in s.arguments.items()))}"
        f' → {esc(s.result)} <span class="ms">{s.ms:.0f} ms</span></li>'
        for s in steps
    )
    return (
        f'<details class="steps"><summary>{esc(describe_steps(steps))}</summary>'
        f'<ol class="step-list">{rows}</ol></details>'
    )


def error_answer_html(message: str) -> str:
    return f'<div class="answer mode-error"><div class="notice error">{text_html(message)}</div></div>'


# ---------------------------------------------------------------- evidence panel


def enclosing_block(text: str, start: int, end: int) -> tuple[int, int]:
    """The paragraph (or, for list items and table rows, the line) that contains text[start:end]."""
    line_start = text.rfind("\n", 0, start) + 1
    if re.match(r"[ \t]*(?:[-*]|\d+\.|\|)\s", text[line_start : line_start + 12]):
        line_end = text.find("\n", end)
        return line_start, len(text) if line_end == -1 else line_end
    block_start = text.rfind("\n\n", 0, start)
    block_end = text.find("\n\n", end)
    return (0 if block_start == -1 else block_start + 2), (len(text) if block_end == -1 else block_end)


def passage_in_context(
    file_text: str | None, passage: Passage, max_context: int = CONTEXT_CHARS
) -> tuple[str, str, str]:
    """(before, span, after) around the passage's exact span in its file. If the file no longer holds
    the passage at its offsets (the corpus changed since indexing) the passage text stands alone."""
    if not file_text or file_text[passage.start : passage.end] != passage.text:
        return "", passage.text, ""
    block_start, block_end = enclosing_block(file_text, passage.start, passage.end)
    # A list item's marker ("- ", "3. ") and a table row's pipe are layout, not text
    before = re.sub(r"^[ \t]*(?:[-*]|\d+\.|\|)\s+", "", file_text[block_start : passage.start])
    after = file_text[passage.end : block_end]
    if len(before) > max_context:
        before = "… " + before[-max_context:].split(" ", 1)[-1]
    if len(after) > max_context:
        after = after[:max_context].rsplit(" ", 1)[0] + " …"
    return before, passage.text, after


def empty_panel_html(hint: str = "Click a citation such as [1] to see the passage it points to.") -> str:
    return f'<div class="evidence empty"><p class="hint">{esc(hint)}</p></div>'


def passage_panel_html(
    passage: Passage,
    file_text: str | None,
    *,
    label: str,
    badge: tuple[str, str] | None = None,
    sentence: str = "",
    audit: Sequence[Mapping] = (),
    note: str = "",
) -> str:
    """One passage in the evidence panel: source, section path, year, link, the sentence that cites it
    with its support badge, and the passage highlighted inside its paragraph."""
    before, span, after = passage_in_context(file_text, passage)
    badge_html = f'<span class="badge {esc(badge[0])}">{esc(badge[1])}</span>' if badge else ""
    sentence_html = (
        (
            f'<div class="ev-sentence"><span class="ev-sentence-label">Answer sentence:</span> '
            f"{text_html(sentence)} {badge_html}</div>"
        )
        if sentence
        else (f'<div class="ev-badges">{badge_html}</div>' if badge_html else "")
    )
    year = f'<span class="ev-year">· {esc(passage.year)}</span>' if passage.year else ""
    no_source = passage.kind == "reference" and passage.doc != "paper" and passage.file.endswith(".json")
    note_html = f'<p class="ev-note">{esc(note)}</p>' if note else ""
    if no_source:
        note_html += '<p class="ev-note">No source text is available for this reference; this is its entry.</p>'
    return (
        f'<div class="evidence" id="ev-{esc(passage.id)}">'
        f'<div class="ev-head"><span class="ev-label">{esc(label)}</span> '
        f'<span class="ev-title">{esc(source_title(passage))}</span> {year}</div>'
        f'<div class="ev-path">{esc(section_path(passage))}</div>'
        f"{sentence_html}{note_html}"
        f'<div class="ev-context">{display_text(before)}<mark class="ev-span">{display_text(span)}</mark>'
        f"{display_text(after)}</div>"
        f'<div class="ev-foot">{link_html(passage.url)}</div>'
        f"{audit_html(audit)}</div>"
    )


def citation_panel_html(citation: Citation, claim: Claim | None, file_text: str | None) -> str:
    return passage_panel_html(
        citation.evidence.passage,
        file_text,
        label=f"[{citation.n}]",
        badge=support_label(claim) if claim else None,
        sentence=claim.text if claim else "",
        audit=citation.audit,
    )


def related_panel_html(evidence: Evidence, index: int, file_text: str | None) -> str:
    return passage_panel_html(
        evidence.passage,
        file_text,
        label=f"Related {index + 1}",
        note="Related reading: close to the question, but it does not answer it.",
    )


def audit_html(verdicts: Sequence[Mapping]) -> str:
    """Citation-audit verdicts for a paper passage's own citations (empty when none are known)."""
    if not verdicts:
        return ""
    rows = []
    for v in verdicts:
        reason = f' <span class="verdict-reason">{esc(v["reason"])}</span>' if v.get("reason") else ""
        evidence = _verdict_evidence_text(v.get("evidence"))
        rows.append(
            f"<li>{verdict_badge(v)} cites [{esc(v.get('ref', '?'))}]{reason}"
            + (f'<div class="verdict-evidence">{display_text(evidence)}</div>' if evidence else "")
            + "</li>"
        )
    return f'<div class="audit"><div class="audit-head">Citation audit</div><ul>{"".join(rows)}</ul></div>'


def verdict_badge(verdict: Mapping) -> str:
    name = str(verdict.get("verdict", "unknown"))
    score = verdict.get("score")
    score_text = f" · {float(score):.2f}" if isinstance(score, (int, float)) and name != "no-source-text" else ""
    return (
        f'<span class="verdict verdict-{esc(re.sub(r"[^a-z-]", "", name.lower()))}" '
        f'title="{esc(verdict.get("reason", ""))}">{esc(name)}{esc(score_text)}</span>'
    )


def _verdict_evidence_text(evidence) -> str:
    if isinstance(evidence, (list, tuple)):
        evidence = evidence[0] if evidence else None
    if isinstance(evidence, Mapping):
        return str(evidence.get("sentence") or evidence.get("text") or "")
    return str(evidence or "")


# ---------------------------------------------------------------- export


def conversation_markdown(turns: Sequence[tuple[str, Answer | None]], title: str = "Continuum Advisor") -> str:
    """The conversation with each answer's sources, as Markdown (the export button)."""
    lines = [f"# {title} — conversation", ""]
    if not turns:
        lines.append("_No questions yet._")
    for i, (question, answer) in enumerate(turns, 1):
        lines += [f"## {i}. {_md_line(question)}", ""]
        if answer is None:
            lines += ["_No answer (interrupted)._", ""]
            continue
        if answer.mode == "not-covered":
            lines += [f"*{MODE_LABELS['not-covered']}.*", ""]
        for claim in answer.claims:
            markers = "".join(f"[{n}]" for n in claim.citations)
            prefix = "> " if claim.origin == "quote" else ""
            lines.append(f"{prefix}{_md_line(claim.text)} {markers}".rstrip())
            lines.append("")
        if not answer.claims:
            lines += [_md_line(answer.answer), ""]
        fit = as_mapping(answer.fit)
        if fit.get("ranking"):
            for rank, row in enumerate(fit["ranking"], 1):
                lines.append(f"{rank}. {row.get('role')} — {float(row.get('score', 0)):.2f}")
            lines.append("")
        for notice in answer.notices:
            lines += [f"_Note: {_md_line(notice)}_", ""]
        if answer.citations:
            lines += ["**Sources**", ""]
            for c in answer.citations:
                p = c.evidence.passage
                url = f" <{p.url}>" if safe_url(p.url) else ""
                lines.append(f"- [{c.n}] {_md_line(source_label(p))}, {_md_line(section_path(p))}.{url}")
                lines.append(f"  > {_md_line(strip_markdown(p.text))}")
            lines.append("")
        if answer.related:
            lines += ["**Related reading (not support)**", ""]
            lines += [
                f"- {_md_line(source_label(e.passage))}, {_md_line(section_path(e.passage))}" for e in answer.related
            ]
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _md_line(text: str) -> str:
    return re.sub(r"\s+", " ", str(text)).strip()


# ---------------------------------------------------------------- evidence explorer


def render_markdown_safely(text: str) -> str:
    """A small Markdown subset for source files (headings, list items, paragraphs, bold, italics),
    applied to already-escaped text, so nothing in the file can become markup of its own."""
    out: list[str] = []
    paragraph: list[str] = []
    items: list[str] = []

    def inline(s: str) -> str:
        s = esc(re.sub(r"</?sup>", "", s))
        s = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", s)
        return re.sub(r"(?<![\w*])\*([^*\s][^*]*?)\*(?![\w*])", r"<em>\1</em>", s)

    def flush() -> None:
        if paragraph:
            out.append(f"<p>{inline(' '.join(paragraph))}</p>")
            paragraph.clear()
        if items:
            out.append("<ul>" + "".join(f"<li>{inline(i)}</li>" for i in items) + "</ul>")
            items.clear()

    for line in text.split("\n"):
        stripped = line.strip()
        heading = re.match(r"^(#{1,6})\s+(.*)$", stripped)
        item = re.match(r"^(?:[-*]|\d+\.)\s+(.*)$", stripped)
        if heading:
            flush()
            level = min(len(heading.group(1)) + 3, 6)
            out.append(f"<h{level}>{inline(heading.group(2))}</h{level}>")
        elif item:
            if paragraph:
                flush()
            items.append(item.group(1))
        elif not stripped:
            flush()
        elif items and line.startswith((" ", "\t")):
            items[-1] += " " + stripped
        else:
            if items:
                flush()
            paragraph.append(stripped)
    flush()
    return "".join(out)


def sentence_with_chips(sentence: str, ref_titles: Mapping[int, str]) -> str:
    """A paper sentence with its [n] markers turned into reference chips."""
    out, pos = [], 0
    for match in CITATION.finditer(sentence):
        out.append(display_text(sentence[pos : match.start()]))
        numbers = [n for n in citation_numbers(match.group(1)) if n in ref_titles]
        out.extend(chip(reference_key(n), str(n), ref_titles[n], "ref") for n in numbers)
        if not numbers:
            out.append(esc(match.group(0)))
        pos = match.end()
    out.append(display_text(sentence[pos:]))
    return "".join(out)


def paper_sections(blocks: Sequence) -> list[tuple[str, str]]:
    """(section key, label) in reading order, from corpus.markdown_blocks of the paper."""
    seen: dict[str, str] = {}
    for b in blocks:
        if b.section not in seen:
            seen[b.section] = f"§{b.section} {b.section_title}" if b.section.isdigit() else b.section_title
    return list(seen.items())


def citing_sentences(paper_text: str, blocks: Sequence, valid_refs: Iterable[int]) -> list[CitingSentence]:
    """Every sentence of the paper body that cites one of valid_refs, with its reference numbers: the
    audit's own sentences (advisor.audit.citing_sentences), so each audit verdict names one of them."""
    return audit_citing_sentences(paper_text, blocks, set(valid_refs))


def explorer_section_html(
    paper_text: str,
    blocks: Sequence,
    section: str,
    ref_titles: Mapping[int, str],
    verdicts: Sequence[Mapping] = (),
    audit_note: str = "",
) -> str:
    """One section of the paper: its text with reference chips, then the list of its citing sentences,
    each with the references it cites (and their audit verdicts when an audit is available)."""
    parts: list[str] = []
    table_rows: list[list[str]] = []

    def flush_table() -> None:
        if table_rows:
            head, *rows = table_rows
            parts.append(
                '<table class="paper-table"><thead><tr>'
                + "".join(f"<th>{display_text(c)}</th>" for c in head)
                + "</tr></thead><tbody>"
                + "".join("<tr>" + "".join(f"<td>{display_text(c)}</td>" for c in row) + "</tr>" for row in rows)
                + "</tbody></table>"
            )
            table_rows.clear()

    title = next((b.section_title for b in blocks if b.section == section), section)
    heading = f"§{section} {title}" if section.isdigit() else title
    parts.append(f'<h3 class="paper-section">{esc(heading)}</h3>')
    for b in (b for b in blocks if b.section == section):
        raw = paper_text[b.start : b.end]
        if b.kind == "table-row":
            table_rows.append([c.strip() for c in raw.strip().strip("|").split("|")])
            continue
        flush_table()
        sentences = []
        for s, e in block_sentence_spans(paper_text, b):  # the audit's cut: a quotation stays one sentence
            sentence = paper_text[s:e]
            cls = "sentence citing" if CITATION.search(sentence) else "sentence"
            sentences.append(f'<span class="{cls}">{sentence_with_chips(sentence, ref_titles)}</span>')
        tag = "li" if b.kind == "bullet" else "p"
        body = " ".join(sentences)
        parts.append(
            f'<ul class="paper-list"><li>{body}</li></ul>'
            if tag == "li"
            else f'<p class="paper-{esc(b.kind)}">{body}</p>'
        )
    flush_table()
    citing = [c for c in citing_sentences(paper_text, blocks, ref_titles) if c.section == section]
    if citing:
        rows = []
        for c in citing:
            refs = "".join(
                f"<li>{chip(reference_key(n), str(n), ref_titles.get(n, ''), 'ref')} {esc(ref_titles.get(n, ''))}"
                f"{audit_inline_html(verdicts_for(c, n, verdicts))}</li>"
                for n in c.refs
            )
            plain = CITATION.sub("", c.text)
            rows.append(
                f'<li class="citing-sentence"><div class="cs-text">{display_text(plain)}</div>'
                f'<ul class="cs-refs">{refs}</ul></li>'
            )
        note = f'<p class="audit-note">{esc(audit_note)}</p>' if audit_note else ""
        parts.append(
            f'<h4 class="citing-head">Citing sentences in this section ({len(citing)})</h4>{note}'
            f'<ol class="citing-list">{"".join(rows)}</ol>'
        )
    return f'<div class="paper">{"".join(parts)}</div>'


def verdicts_for(sentence: CitingSentence, ref: int, verdicts: Sequence[Mapping]) -> list[Mapping]:
    """The audit verdicts of (sentence, ref): the explorer lists the audit's own sentences, so a verdict
    belongs to the sentence its pair id ("paper@<start>#<ref>") names, and to no other."""
    key = sentence.pair_id(ref)
    return [v for v in verdicts if v.get("id") == key]


def audit_inline_html(verdicts: Sequence[Mapping]) -> str:
    return f" {verdict_badge(verdicts[0])}" if verdicts else ""


def reference_panel_html(
    ref, source_text: str | None, citing: Sequence[CitingSentence] = (), verdicts: Sequence[Mapping] = ()
) -> str:
    """A reference entry (corpus.Reference), the source text we hold for it or a plain statement that
    there is none, and the paper's sentences that cite it."""
    authors = ", ".join(ref.authors)
    meta = " · ".join(esc(x) for x in (authors, ref.venue, ref.year, ref.kind) if x)
    if source_text:
        source = (
            f'<div class="ref-source"><div class="ref-source-head">Source text we hold</div>'
            f"{render_markdown_safely(source_text)}</div>"
        )
    else:
        source = (
            '<p class="ref-nosource">No source text is available for this reference: the advisor holds only '
            "its entry, so nothing it says can be checked against it.</p>"
        )
    cites = ""
    if citing:
        items = "".join(
            f"<li>{display_text(CITATION.sub('', c.text))}{audit_inline_html(verdicts_for(c, ref.id, verdicts))}</li>"
            for c in citing
        )
        cites = (
            f'<div class="ref-citing"><div class="ref-citing-head">Cited by ({len(citing)})</div><ul>{items}</ul></div>'
        )
    return (
        f'<div class="evidence reference" id="ref-panel-{ref.id}">'
        f'<div class="ev-head"><span class="ev-label">[{ref.id}]</span> '
        f'<span class="ev-title">{esc(ref.title)}</span></div>'
        f'<div class="ev-path">{meta}</div>'
        f'<div class="ref-entry"><span class="ref-entry-label">Entry in the paper:</span> '
        f"{display_text(ref.reference_text_in_paper)}</div>"
        f'<div class="ev-foot">{link_html(ref.url)}</div>{source}{cites}</div>'
    )


# ---------------------------------------------------------------- role fit


def fit_citations(fit: Mapping, compact: bool = False) -> list[Mapping]:
    """Every passage a fit result cites, in the order `fit_html` numbers its chips."""
    out: list[Mapping] = []
    if not compact:
        for row in fit.get("ranking") or ():
            out.extend(row.get("citations") or ())
            for reason in row.get("reasons") or ():
                out.extend(reason.get("citations") or ())
        follow_up = fit.get("follow_up") or {}
        if follow_up.get("citation"):
            out.append(follow_up["citation"])
    for archetype in fit.get("archetypes") or ():
        if archetype.get("citation"):
            out.append(archetype["citation"])
    return out


def _passage_title(p: Mapping) -> str:
    section = p.get("section") or ""
    where = f"§{section} {p.get('section_title', '')}" if str(section).isdigit() else p.get("section_title", "")
    return f"{'Paper' if p.get('doc') == 'paper' else p.get('doc', '')} — {where}".strip(" —")


def fit_html(fit: Mapping, scope: str, chart_html: str = "", compact: bool = False) -> str:
    """A role-fit result: ranking with score bars and cited reasons, the follow-up question when the
    top two are close, organisation archetypes, notes. Chips are numbered in `fit_citations` order.
    `compact` (a fit answered in the chat, whose cited sentences already give the lead, reasons and
    follow-up) keeps only the score bars, the chart and the archetypes."""
    counter = iter(range(10_000))

    def chips(passages: Sequence[Mapping]) -> str:
        return "".join(
            chip(fit_key(scope, j), str(j + 1), _passage_title(p), "fit") for p in passages for j in (next(counter),)
        )

    notes = notices_html(fit.get("notes") or ())
    if fit.get("needs_more") or not fit.get("ranking"):
        return (
            f'<div class="fit needs-more"><p class="fit-message">{text_html(fit.get("message", ""))}</p>{notes}</div>'
        )
    if compact:
        bars = "".join(
            f'<li class="fit-role{" top" if rank == 1 else ""}"><div class="fit-role-head"><span class="fit-rank">'
            f'{rank}.</span> <span class="fit-role-name">{esc(row.get("role", ""))}</span> <span class="fit-score">'
            f"{float(row.get('score', 0.0)):.0%}</span></div>{_score_bar(float(row.get('score', 0.0)))}</li>"
            for rank, row in enumerate(fit["ranking"], 1)
        )
        return (
            f'<div class="fit compact"><ol class="fit-ranking">{bars}</ol>{chart_html}'
            f"{_archetypes_html(fit, chips)}{notes}</div>"
        )
    rows = []
    for rank, row in enumerate(fit["ranking"], 1):
        score = float(row.get("score", 0.0))
        role_chips = chips(row.get("citations") or ())
        reasons = []
        for reason in row.get("reasons") or ():
            effect = re.sub(r"[^a-z-]", "", str(reason.get("effect", "")).lower())
            reasons.append(
                f'<li class="reason {effect}">{text_html(reason.get("text", ""))} '
                f"{chips(reason.get('citations') or ())}</li>"
            )
        shown, rest = reasons[:3], reasons[3:]
        more = (
            (
                f'<details class="more-reasons"><summary>{len(rest)} more reasons</summary><ul>{"".join(rest)}</ul>'
                f"</details>"
            )
            if rest
            else ""
        )
        closest = row.get("closest") or {}
        closest_html = (
            (
                f'<div class="closest">Closest to your words: <q>{esc(closest.get("you", ""))}</q> ↔ '
                f"<q>{display_text(closest.get('paper', ''))}</q></div>"
            )
            if closest.get("you")
            else ""
        )
        rows.append(
            f'<li class="fit-role{" top" if rank == 1 else ""}"><div class="fit-role-head">'
            f'<span class="fit-rank">{rank}.</span> <span class="fit-role-name">{esc(row.get("role", ""))}</span> '
            f'<span class="fit-score">{score:.0%}</span> {role_chips}</div>'
            f"{_score_bar(score)}"
            f'{closest_html}<ul class="reasons">{"".join(shown)}</ul>{more}</li>'
        )
    follow_up = fit.get("follow_up") or {}
    follow_html = (
        (
            f'<div class="follow-up"><span class="follow-up-label">The top two are close —</span> '
            f"{text_html(follow_up.get('question', ''))} "
            f"{chips([follow_up['citation']] if follow_up.get('citation') else [])}</div>"
        )
        if follow_up
        else ""
    )
    archetype_html = _archetypes_html(fit, chips)
    return (
        f'<div class="fit"><p class="fit-message">{text_html(fit.get("message", ""))}</p>'
        f'<ol class="fit-ranking">{"".join(rows)}</ol>{follow_html}{chart_html}{archetype_html}{notes}</div>'
    )


def _score_bar(score: float) -> str:
    return f'<div class="score-bar"><span style="width:{max(0.0, min(score, 1.0)) * 100:.1f}%"></span></div>'


def _archetypes_html(fit: Mapping, chips) -> str:
    archetypes = "".join(
        f'<li><span class="arch-name">{esc(a.get("name", ""))}</span> <span class="arch-score">'
        f'{float(a.get("score", 0.0)):.0%}</span> <span class="arch-why">{display_text(a.get("why", ""))}</span> '
        f"{chips([a['citation']] if a.get('citation') else [])}</li>"
        for a in fit.get("archetypes") or ()
    )
    return (
        (
            f'<div class="archetypes"><div class="archetypes-head">Organisations where this mix is in demand '
            f"(Section 6)</div><ol>{archetypes}</ol></div>"
        )
        if archetypes
        else ""
    )


def figure_html(png_base64: str, alt: str = "Role fit chart") -> str:
    """An inline chart image (base64 PNG) for places that take HTML, such as a chat message."""
    return f'<img class="fit-chart" alt="{esc(alt)}" src="data:image/png;base64,{esc(png_base64)}">'


# ---------------------------------------------------------------- the chat as messages


def chat_fit_scope(turn: int) -> str:
    """Chip scope of a role fit answered in chat turn `turn` (the Role fit tab uses "tab")."""
    return f"t{turn}"


def chat_messages(turns: Sequence, pending: tuple[str, str] | None = None) -> list[dict]:
    """gr.Chatbot messages for a session's turns (ui.session.Turn). `pending` = (status, draft so far)
    is shown in place of the last turn's answer while it streams."""
    messages: list[dict] = []
    last = len(turns) - 1
    for i, turn in enumerate(turns):
        messages.append({"role": "user", "content": user_message_html(turn.question)})
        if turn.answer is not None:
            fit_body = ""
            if turn.answer.fit is not None:
                chart = figure_html(turn.chart_png) if turn.chart_png else ""
                fit_body = fit_html(
                    as_mapping(turn.answer.fit), chat_fit_scope(i), chart, compact=bool(turn.answer.claims)
                )
            content = answer_html(turn.answer, i, turn.notices, fit_body)
        elif turn.error:
            content = error_answer_html(turn.error)
        elif i == last and pending is not None:
            content = pending_answer_html(pending[0], pending[1], turn.notices, turn.preview, i)
        else:
            content = error_answer_html("This answer was interrupted.")
        messages.append({"role": "assistant", "content": content})
    return messages
