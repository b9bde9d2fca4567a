"""Answer quality: fact accuracy, ALCE-style citation precision and recall, refusals, intent accuracy, latency.

A set is JSON Lines mixing three kinds of line:
- a question: {"id", "q", "facts": [[alternatives], ...], "intent"?};
- a conversation: {"id", "turns": [{"q", "facts"?, "intent"?}, ...]}, asked in order with the earlier turns as
  history (so follow-ups resolve through the conversation state);
- an answerability line: {"id", "q", "covered": true|false}.
A fact group holds when one of its alternatives is in the answer (case-insensitive).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from ..agent.references import KIND_WORDS
from ..chat import get_engine
from ..core.jsonl import load_jsonl
from ..core.settings import Settings, get_settings
from ..core.text import content_words, normalize_for_match, strip_citations, strip_markdown
from ..core.types import Answer, Mode, Origin
from ..fit.roles import ROLES
from ..grounding import score_support
from ..llm import prompts


def citation_supports(claim_text: str, passage, embedder, settings: Settings) -> bool:
    """ALCE-style judgement: the passage contains the sentence (a quote) or entails it by our verifier."""
    core = normalize_for_match(claim_text)
    if core and core in normalize_for_match(passage.text):
        return True
    return score_support(claim_text, [passage], embedder, settings).supported


def _template_words() -> frozenset[str]:
    """Words of the composer's sentence templates and the role names (Table 1's column heads): what a tool
    sentence says besides the values it fills in from its passages."""
    texts = [v for k, v in vars(prompts).items() if k.isupper() and isinstance(v, str)]
    texts += [*ROLES, *KIND_WORDS.values(), "et al."]
    return frozenset(w for t in texts for w in content_words(t))


def tool_sentence_supported(claim_text: str, passages) -> bool:
    """A sentence a tool filled in is supported when every word it adds to its template is in the passages it
    cites, their heading path included ("Section 5 of the paper is headed “Scaling AI Infrastructure …”": the
    heading is the passage's, as the citation shows it; the composer's own check, repeated here over words)."""
    added = set(content_words(strip_citations(claim_text))) - _template_words()
    held = set(content_words(" ".join(strip_markdown(p.index_text) for p in passages)))
    return added <= held


def has_facts(answer: Answer, facts: Iterable[Iterable[str]]) -> bool:
    text = answer.answer.lower()
    return all(any(alt.lower() in text for alt in group) for group in facts)


def _percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else 0.0


def _rate(hits: int, total: int) -> float | None:
    return hits / total if total else None


class _Tally:
    """Counts over every answered turn of a set."""

    def __init__(self) -> None:
        self.facts = {"single": [0, 0], "multi": [0, 0]}
        self.intent = [0, 0]
        self.cited_pairs = self.supported_pairs = self.claims_total = self.claims_supported = 0
        self.unreturned = 0
        self.refusals = {"answerable": [0, 0], "off_topic": [0, 0]}
        self.off_topic_cited = 0
        self.latencies: list[float] = []
        self.drafted = self.kept = 0.0
        self.modes: dict[str, int] = {}
        self.misses: list[str] = []

    def answer(self, item_id: str, item: dict, answer: Answer, kind: str, engine, settings: Settings) -> None:
        self.latencies.append(answer.timings.get("total_s", 0.0))
        self.drafted += answer.timings.get("draft_sentences", 0.0)
        self.kept += answer.timings.get("draft_kept", 0.0)
        self.modes[str(answer.mode)] = self.modes.get(str(answer.mode), 0) + 1
        if item.get("intent"):
            self.intent[0] += answer.intent == item["intent"]
            self.intent[1] += 1
        refused = answer.mode == Mode.NOT_COVERED
        if item.get("facts"):
            ok = has_facts(answer, item["facts"])
            self.facts[kind][0] += ok
            self.facts[kind][1] += 1
            self.refusals["answerable"][0] += refused
            self.refusals["answerable"][1] += 1
            if not ok:
                self.misses.append(item_id)
        if "covered" in item:
            key = "answerable" if item["covered"] else "off_topic"
            self.refusals[key][0] += refused
            self.refusals[key][1] += 1
            if not item["covered"] and answer.citations:
                self.off_topic_cited += 1
            if refused != (not item["covered"]):
                self.misses.append(item_id)
        # Every citation must point to a passage some tool of this answer returned.
        returned = {pid for step in answer.steps for pid in step.passages}
        if not answer.steps:
            returned = {e.passage.id for e in engine.retrieve(answer.standalone_question or answer.question)}
        by_n = {c.n: c.evidence.passage for c in answer.citations}
        self.unreturned += sum(1 for p in by_n.values() if p.id not in returned)
        for claim in answer.claims:
            if claim.origin == Origin.NOTE:
                continue  # a remark or a report of the advisor's own audit: it asserts nothing about the source
            if claim.origin == Origin.TOOL:
                cited = [by_n[n] for n in claim.citations if n in by_n]
                support = [tool_sentence_supported(claim.text, cited)] * len(cited)
            else:
                # A quote with a lead-in ("The paper cites it in Section 3: “…”") is judged on what it quotes.
                quoted = re.search(r"“(.*)”", claim.text, re.S) if claim.origin == Origin.QUOTE else None
                judged = quoted.group(1) if quoted else claim.text.strip("“”")
                support = [
                    citation_supports(judged, by_n[n], engine.embedder, settings) for n in claim.citations if n in by_n
                ]
            if not support:
                continue  # a note (a question back, a remark) cites nothing and asserts nothing
            self.claims_total += 1
            self.cited_pairs += len(support)
            self.supported_pairs += sum(support)
            self.claims_supported += any(support)

    def result(self) -> dict:
        single, multi = self.facts["single"], self.facts["multi"]
        both = [single[0] + multi[0], single[1] + multi[1]]
        return {
            "questions": single[1],
            "turns": multi[1],
            "fact_accuracy": _rate(*both),
            "fact_accuracy_single": _rate(*single),
            "fact_accuracy_multi_turn": _rate(*multi),
            "intent_accuracy": _rate(*self.intent),
            "false_refusals": _rate(*self.refusals["answerable"]),
            "off_topic_refused": _rate(*self.refusals["off_topic"]),
            "off_topic_with_citations": self.off_topic_cited,
            "citation_precision": _rate(self.supported_pairs, self.cited_pairs),
            "citation_recall": _rate(self.claims_supported, self.claims_total),
            "citations_to_unreturned": self.unreturned,
            "draft_sentences": int(self.drafted),
            "draft_survival": _rate(int(self.kept), int(self.drafted)),
            "latency_p50_s": _percentile(self.latencies, 50),
            "latency_p95_s": _percentile(self.latencies, 95),
            "modes": self.modes,
            "misses": self.misses,
        }


def evaluate_answers(
    set_path: Path, refusal_path: Path | None, llm: str | None, settings: Settings | None = None
) -> dict:
    """The metrics above for one set (plus, when given, a separate answerability set)."""
    settings = settings or get_settings()
    # As the app answers once it has warmed up: with the citation audit loaded (claim checks and verdicts
    # read it). Not waiting made the figures depend on whether the audit had finished in the background.
    engine = get_engine(llm, settings, wait_for_audit=True)
    engine.ask("warm-up question about research engineers")
    tally = _Tally()
    lines = list(load_jsonl(set_path)) + (list(load_jsonl(refusal_path)) if refusal_path else [])
    for n, item in enumerate(lines):
        item_id = str(item.get("id", f"line-{n + 1}"))
        turns = item.get("turns")
        if isinstance(turns, list):
            answers = engine.converse([str(t.get("q", "")) for t in turns])
            for i, (turn, answer) in enumerate(zip(turns, answers)):
                tally.answer(f"{item_id}#{i}", turn, answer, "multi", engine, settings)
        elif item.get("q") and (item.get("facts") or "covered" in item):
            tally.answer(item_id, item, engine.ask(str(item["q"])), "single", engine, settings)
    backend = engine.backend()
    return {"set": str(set_path), "backend": backend.name if backend else "none", **tally.result()}
