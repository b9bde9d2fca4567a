"""The composer: a direct answer from a tool's result. Each statement is kept only if it holds against the
passages it cites (every filled-in value, or the quote itself, is in them); notes about our copy of the
corpus are said without a citation."""

from __future__ import annotations

from collections.abc import Mapping

from ..core.types import Claim, Evidence, Origin, Passage
from .results import ToolResult, statement_holds


def compose_tool_answer(
    result: ToolResult, passages_by_id: Mapping[str, Passage], limit: int
) -> tuple[list[Claim], list[Evidence], int]:
    """(claims with citation numbers into the evidence list, the evidence list, statements dropped)."""
    by_id = dict(passages_by_id)
    by_id.update({p.id: p for p in result.passages})
    ranked = sorted(range(len(result.statements)), key=lambda i: -result.statements[i].score)[:limit]
    kept = [result.statements[i] for i in sorted(ranked)]
    evidence: list[Evidence] = []
    numbers: dict[str, int] = {}
    claims: list[Claim] = []
    dropped = 0
    for statement in kept:
        if not statement_holds(statement, by_id):
            dropped += 1
            continue
        cites = []
        for pid in statement.passage_ids:
            if pid not in numbers:
                evidence.append(Evidence(by_id[pid], 0.0, (f"tool:{result.tool}",)))
                numbers[pid] = len(evidence)
            cites.append(numbers[pid])
        origin = Origin.QUOTE if statement.quote else Origin.NOTE if statement.report else Origin.TOOL
        claims.append(Claim(statement.text, tuple(cites), 1.0, True, origin))
    if claims:
        claims += [Claim(note, (), 1.0, True, Origin.NOTE) for note in result.notes]
    return claims, evidence, dropped
