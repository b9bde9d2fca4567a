"""An optional language-model judge for the pairs the offline rules leave borderline.

With a capable backend (openai:<model> or ollama:<model>; the bundled 135M model is not one), each
borderline pair — partial, or within a small band of a threshold — is shown to the model with the source
text we hold, and the model answers with a verdict and the exact source span it rests on. Its verdict
replaces the offline one only when the offline verifier finds that span, word for word, in the source's
text (quotes.lookup_quote: verbatim or minor edits); otherwise the offline verdict stands and the
model's answer is kept beside it, marked unconfirmed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from ..core.settings import Settings
from ..core.types import Verdict
from ..corpus import load_references
from .engine import AuditResult
from .sources import SourceText, load_source_text
from .verdicts import PairVerdict, finding_of

JUDGED = (Verdict.SUPPORTED, Verdict.PARTIAL, Verdict.CONTRADICTED, Verdict.NOT_SUPPORTED)
BORDER = 0.05  # a pair whose support score is this close to a threshold is borderline
CONFIRM_RATIO = 0.9  # share of the quoted span's words that must line up with the source


class JudgeError(RuntimeError):
    """The judge cannot run (a backend that is not capable, or not reachable)."""


PROMPT = """You check citations. A paper cites a source for a claim. Using ONLY the source text below,
decide whether the source supports the claim.

Claim (the paper's words): {claim}
What the citation is used for: {attributed}

Source [{ref}] ({title}), the text we hold:
{source}

Answer with one JSON object and nothing else:
{{"verdict": "supported" | "partial" | "contradicted" | "not-supported",
  "quote": "the exact words of the source text that your verdict rests on, copied verbatim",
  "reason": "one sentence"}}"""


def is_borderline(v: PairVerdict, settings: Settings) -> bool:
    if v.verdict == Verdict.PARTIAL:
        return True
    knobs = settings.audit
    if v.verdict not in (Verdict.SUPPORTED, Verdict.NOT_SUPPORTED):
        return False
    return any(abs(v.score - t) <= BORDER for t in (knobs.supported_threshold, knobs.partial_threshold))


def parse_answer(text: str) -> dict | None:
    """The model's JSON object (the first {...} in its answer), or None."""
    match = re.search(r"\{.*\}", text or "", re.S)
    if not match:
        return None
    try:
        data = json.loads(match.group(0))
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("verdict") not in {v.value for v in JUDGED}:
        return None
    data["quote"] = str(data.get("quote") or "").strip()
    return data


def confirm_span(span: str, source: SourceText) -> tuple[bool, str | None]:
    """(found, passage id): is the model's quoted span in the source text we hold, word for word?"""
    from .quotes import lookup_quote

    if not span or source.all_words is None or len(re.findall(r"\w+", span)) < 3:
        return False, None
    check = lookup_quote(span, source.all_words, CONFIRM_RATIO, source.ref.id)
    return check.status in ("verbatim", "minor-edits") and check.ratio >= CONFIRM_RATIO, check.passage_id


def judge_pair(v: PairVerdict, source: SourceText, ask: Callable[[str], str]) -> PairVerdict:
    """One borderline pair judged by the model; its verdict counts only with a confirmed span."""
    text = "\n".join(f"- ({p.kind}) {p.text}" for p in source.passages)
    prompt = PROMPT.format(claim=v.claim, attributed=v.attributed, ref=v.ref, title=source.ref.title, source=text)
    try:
        answer = parse_answer(ask(prompt))
    except Exception as exc:  # noqa: BLE001 - a failing backend leaves the offline verdict in place
        return replace(v, judge={"error": f"{type(exc).__name__}: {exc}", "confirmed": False})
    if answer is None:
        return replace(v, judge={"error": "the model gave no usable verdict", "confirmed": False})
    confirmed, passage_id = confirm_span(answer["quote"], source)
    judged = {
        "verdict": answer["verdict"],
        "quote": answer["quote"],
        "reason": str(answer.get("reason") or ""),
        "confirmed": confirmed,
        "passage_id": passage_id,
        "offline_verdict": v.verdict.value,
    }
    if not confirmed or answer["verdict"] == v.verdict.value:
        return replace(v, judge=judged)
    verdict = Verdict(answer["verdict"])
    reason = f"language-model judge: {judged['reason']} (quoting “{answer['quote']}”, found in `{passage_id}`)"
    finding, severity = finding_of(verdict, reason, v.claim_support, ())
    return replace(v, verdict=verdict, reason=reason, judge=judged, finding=finding, severity=severity)


def backend_ask(spec: str, settings: Settings) -> Callable[[str], str]:
    """A prompt -> answer function for a capable backend (openai:/ollama:)."""
    kind = spec.partition(":")[0]
    if kind not in ("openai", "ollama"):
        raise JudgeError(f"the audit judge needs a capable model: --llm openai:<model> or ollama:<model>, not {spec!r}")
    from ..llm import BackendError, get_backend

    try:
        backend = get_backend(spec, settings)
    except BackendError as exc:
        raise JudgeError(str(exc)) from exc

    def ask(prompt: str) -> str:
        return str(backend.model.invoke(prompt).content)

    return ask


def judge_result(
    result: AuditResult, spec: str, settings: Settings, ask: Callable[[str], str] | None = None
) -> AuditResult:
    """The audit with its borderline pairs judged by the model at `spec` (or by `ask`, for tests)."""
    ask = ask or backend_ask(spec, settings)
    corpus_dir = Path(settings.corpus_dir)
    refs = load_references(corpus_dir)
    sources: dict[int, SourceText] = {}
    out = []
    for v in result.verdicts:
        if not is_borderline(v, settings) or v.ref not in refs:
            out.append(v)
            continue
        if v.ref not in sources:
            sources[v.ref] = load_source_text(corpus_dir, refs[v.ref], settings.window_words)
        source = sources[v.ref]
        out.append(judge_pair(v, source, ask) if source.has_text else v)
    return AuditResult(out, result.uncited, result.metadata, result.fingerprint, result.consistency)


__all__ = ["JudgeError", "confirm_span", "judge_pair", "judge_result", "parse_answer"]
