"""The citation audit against a labelled set: precision and recall of "problem found" and the verdict counts.

A labelled line is {"id", "sentence" (the paper's words), "ref": N, "acceptable": [verdicts], "reason"}.
It is matched to the audit's pair for reference [N] whose sentence holds those words (or, for a sentence
that cites nothing, to a consistency finding naming [N]); with neither, the audit found no problem there.

- A problem is any verdict other than "supported". An item is a real problem when "supported" is not
  among its acceptable verdicts.
- Problem found correctly (true positive): predicted a problem on a real problem. A false positive is a
  problem predicted where "supported" is acceptable and the predicted verdict is not: an item labelled
  ["supported", "partial"] is a borderline call either way, and a "partial" there is no error.
- Verdict accuracy: the predicted verdict is among the acceptable ones.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Sequence
from pathlib import Path

from ..audit import AuditResult, cached_audit
from ..core.settings import Settings, get_settings
from ..core.text import normalize_for_match, strip_citations
from ..core.types import Verdict

_VERDICTS = {v.value for v in Verdict}


def load_labels(path: Path) -> list[dict]:
    """The labelled lines; a malformed line or an unknown verdict is an error naming the line."""
    items = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError as exc:
            raise ValueError(f"{path}:{n}: not JSON ({exc})") from exc
        missing = {"sentence", "ref", "acceptable"} - set(item)
        if missing:
            raise ValueError(f"{path}:{n}: missing {', '.join(sorted(missing))}")
        bad = set(item["acceptable"]) - _VERDICTS
        if bad or not item["acceptable"]:
            raise ValueError(f"{path}:{n}: unknown verdicts {sorted(bad)} (use {', '.join(sorted(_VERDICTS))})")
        item.setdefault("id", f"line-{n}")
        items.append(item)
    return items


def _key(text: str) -> str:
    return normalize_for_match(strip_citations(text))


def predicted_verdict(item: dict, result: AuditResult) -> tuple[str, str, bool]:
    """(verdict, the audit's reason, matched): the audit's verdict for a labelled (sentence, reference)."""
    want = _key(item["sentence"])
    ref = int(item["ref"])

    def best(rows: Sequence, text_of) -> object | None:
        scored = []
        for row in rows:
            have = _key(text_of(row))
            if want and (want in have or have in want):
                scored.append((1.0, row))
            else:
                ratio = difflib.SequenceMatcher(None, want, have, autojunk=False).ratio()
                if ratio >= 0.6:
                    scored.append((ratio, row))
        return max(scored, key=lambda s: s[0])[1] if scored else None

    pair = best([v for v in result.verdicts if v.ref == ref], lambda v: v.claim)
    if pair is not None:
        return pair.verdict.value, pair.reason, True
    finding = best([c for c in result.consistency if c.other_ref == ref], lambda c: c.sentence)
    if finding is not None:
        return finding.verdict.value, finding.why, True
    return Verdict.SUPPORTED.value, "the audit reports no problem for this sentence and reference", False


def evaluate_audit_labels(items: Sequence[dict], result: AuditResult) -> dict:
    rows = []
    tp = fp = fn = tn = 0
    counts = {v.value: 0 for v in Verdict}
    for item in items:
        verdict, reason, matched = predicted_verdict(item, result)
        counts[verdict] += 1
        acceptable = list(item["acceptable"])
        real = Verdict.SUPPORTED.value not in acceptable
        found = verdict != Verdict.SUPPORTED.value
        ok = verdict in acceptable
        if found and real:
            tp += 1
        elif found and not ok:
            fp += 1
        elif not found and real:
            fn += 1
        else:
            tn += 1
        rows.append(
            {
                "id": item["id"],
                "ref": item["ref"],
                "sentence": item["sentence"],
                "acceptable": acceptable,
                "predicted": verdict,
                "correct": ok,
                "matched": matched,
                "reason": reason,
            }
        )
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return {
        "items": len(items),
        "problems": sum(1 for i in items if Verdict.SUPPORTED.value not in i["acceptable"]),
        "true_positives": tp,
        "false_positives": fp,
        "false_negatives": fn,
        "true_negatives": tn,
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(2 * precision * recall / (precision + recall), 4) if precision + recall else 0.0,
        "verdict_accuracy": round(sum(r["correct"] for r in rows) / len(rows), 4) if rows else 0.0,
        "predicted_counts": counts,
        "results": rows,
    }


def evaluate_audit(set_path: Path, settings: Settings | None = None, embedder=None) -> dict:
    """Precision and recall of "problem found" and the verdict counts of the audit on a labelled file."""
    settings = settings or get_settings()
    items = load_labels(set_path)
    result = cached_audit(settings, embedder)
    out = evaluate_audit_labels(items, result)
    out["set"] = str(set_path)
    out["audit_counts"] = result.counts()
    return out


def format_audit_evaluation(result: dict) -> str:
    """The evaluation as plain text: the figures, then every item the audit got wrong."""
    lines = [
        f"Citation audit on {Path(result.get('set', '')).name}: {result['items']} items, "
        f"{result['problems']} real problems",
        f"problem found: precision {result['precision']:.2f}, recall {result['recall']:.2f}, F1 {result['f1']:.2f} "
        f"(TP {result['true_positives']}, FP {result['false_positives']}, FN {result['false_negatives']}, "
        f"TN {result['true_negatives']}); verdict accuracy {result['verdict_accuracy']:.2f}",
        "predicted verdicts: " + ", ".join(f"{n} {k}" for k, n in result["predicted_counts"].items() if n),
    ]
    if "audit_counts" in result:
        lines.append("whole audit: " + ", ".join(f"{n} {k}" for k, n in result["audit_counts"].items()))
    wrong = [r for r in result["results"] if not r["correct"]]
    if wrong:
        lines.append(f"not among the acceptable verdicts ({len(wrong)}):")
        for r in wrong:
            lines.append(
                f"- {r['id']} [{r['ref']}] predicted {r['predicted']}, acceptable {'/'.join(r['acceptable'])}: "
                f"{r['sentence'][:90]}"
            )
    return "\n".join(lines)
