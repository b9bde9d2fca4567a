"""Answer quality: fact accuracy, ALCE-style citation precision and recall, refusal accuracy, latency."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..chat import get_engine
from ..core.jsonl import load_jsonl
from ..core.settings import Settings, get_settings
from ..core.text import normalize_for_match
from ..core.types import Mode
from ..grounding import score_support


def citation_supports(claim_text: str, passage, embedder, settings: Settings) -> bool:
    """ALCE-style judgement: the passage contains the sentence (a quote) or entails it by our verifier."""
    core = normalize_for_match(claim_text)
    if core and core in normalize_for_match(passage.text):
        return True
    return score_support(claim_text, [passage], embedder, settings).supported


def _percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else 0.0


def evaluate_answers(set_path: Path, refusal_path: Path, llm: str | None, settings: Settings | None = None) -> dict:
    """Fact accuracy, citation precision and recall, refusal accuracy on both halves, latency,
    draft survival, and a count of citations to passages that were not retrieved (must be 0)."""
    settings = settings or get_settings()
    engine = get_engine(llm, settings)
    engine.ask("warm-up question about research engineers")
    questions = [q for q in load_jsonl(set_path) if q.get("facts")]
    fact_hits, cited_pairs, supported_pairs, claims_total, claims_supported = 0, 0, 0, 0, 0
    latencies, drafted, kept, unretrieved, modes = [], 0.0, 0.0, 0, {}
    failures = []
    for q in questions:
        answer = engine.ask(q["q"])
        latencies.append(answer.timings.get("total_s", 0.0))
        drafted += answer.timings.get("draft_sentences", 0.0)
        kept += answer.timings.get("draft_kept", 0.0)
        modes[answer.mode] = modes.get(answer.mode, 0) + 1
        text = answer.answer.lower()
        ok = all(any(alt.lower() in text for alt in group) for group in q["facts"])
        fact_hits += ok
        if not ok:
            failures.append(q["id"])
        retrieved = {e.passage.id for e in engine.retrieve(answer.standalone_question or q["q"])}
        by_n = {c.n: c.evidence.passage for c in answer.citations}
        unretrieved += sum(1 for p in by_n.values() if p.id not in retrieved)
        for claim in answer.claims:
            claims_total += 1
            support = [
                citation_supports(claim.text.strip("“”"), by_n[n], engine.embedder, settings)
                for n in claim.citations
                if n in by_n
            ]
            cited_pairs += len(support)
            supported_pairs += sum(support)
            claims_supported += any(support)
    refusal = {True: [0, 0], False: [0, 0]}
    refusal_errors = []
    for q in load_jsonl(refusal_path):
        answer = engine.ask(q["q"])
        covered = answer.mode != Mode.NOT_COVERED
        refusal[bool(q["covered"])][0] += covered == bool(q["covered"])
        refusal[bool(q["covered"])][1] += 1
        if covered != bool(q["covered"]):
            refusal_errors.append(q["id"])
    n = max(len(questions), 1)
    return {
        "backend": engine.backend().name if engine.backend() else "none",
        "questions": len(questions),
        "fact_accuracy": fact_hits / n,
        "citation_precision": supported_pairs / cited_pairs if cited_pairs else 0.0,
        "citation_recall": claims_supported / claims_total if claims_total else 0.0,
        "refusal_accuracy_unanswerable": refusal[False][0] / max(refusal[False][1], 1),
        "refusal_accuracy_answerable": refusal[True][0] / max(refusal[True][1], 1),
        "citations_to_unretrieved": unretrieved,
        "draft_sentences": int(drafted),
        "draft_survival": kept / drafted if drafted else 0.0,
        "latency_p50_s": _percentile(latencies, 50),
        "latency_p95_s": _percentile(latencies, 95),
        "modes": modes,
        "fact_misses": failures,
        "refusal_errors": refusal_errors,
    }
