"""Role-fit quality: top-1 / top-2 accuracy and log loss of the shares on a persona set."""

from __future__ import annotations

import math
from pathlib import Path

from ..core.jsonl import load_jsonl
from ..core.settings import Settings
from ..fit import ROLES, fit, get_fit_model


def evaluate_fit(set_path: Path, settings: Settings | None = None) -> dict:
    """Top-1/top-2 accuracy and log loss on a persona set (JSON Lines: "id", "profile", "top1": [roles]
    where any listed role counts as right)."""
    model = get_fit_model(settings)
    personas = load_jsonl(Path(set_path))
    rows, top1, top2, loss = [], 0, 0, 0.0
    for n, persona in enumerate(personas, 1):
        expected = persona.get("top1") or persona.get("expected")
        if isinstance(expected, str):
            expected = [expected]
        if not expected or "profile" not in persona:
            raise ValueError(f"{set_path}: persona #{n} needs 'profile' and 'top1' (a list of role names)")
        unknown = [r for r in expected if r not in ROLES]
        if unknown:
            raise ValueError(f"{set_path}: persona #{n} names unknown roles {unknown}; use {list(ROLES)}")
        result = fit(persona["profile"], persona.get("quiz"), model=model)
        ranking = [r.role for r in result.ranking]
        shares = {r.role: r.score for r in result.ranking}
        hit1 = bool(ranking) and ranking[0] in expected
        hit2 = any(r in expected for r in ranking[:2])
        top1 += hit1
        top2 += hit2
        loss += -math.log(max([shares.get(r, 0.0) for r in expected] + [1e-6]))
        rows.append(
            {
                "id": persona.get("id", n),
                "expected": expected,
                "ranking": ranking,
                "top_share": round(result.ranking[0].score, 4) if ranking else None,
                "confidence": round(result.confidence, 3),
                "top1": hit1,
                "top2": hit2,
                "needs_more": result.needs_more,
            }
        )
    total = max(len(personas), 1)
    return {
        "personas": len(personas),
        "top1": round(top1 / total, 4),
        "top2": round(top2 / total, 4),
        "top1_hits": top1,
        "top2_hits": top2,
        "log_loss": round(loss / total, 4),
        "misses": [r["id"] for r in rows if not r["top1"]],
        "results": rows,
    }
