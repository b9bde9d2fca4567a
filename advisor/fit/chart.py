"""The fit as a chart: the person next to the top roles, per Table 1 skill (matplotlib, no pyplot)."""

from __future__ import annotations

import numpy as np

from .errors import FitInputError
from .lexicon import CHART_LABELS
from .result import RoleFit
from .roles import ROLES

ROLE_COLOURS = {
    "Research Scientist": "#4C72B0",
    "Research Engineer": "#55A868",
    "Applied Scientist": "#C44E52",
    "ML Engineer": "#8172B2",
}


def plot_fit(result: RoleFit | dict, top: int = 2):
    """Grouped horizontal bars: the person's level per Table 1 skill next to the top roles' levels.
    Returns a matplotlib Figure on the Agg canvas (no pyplot, safe in a server); save with
    fig.savefig("out.png"). Works from a RoleFit or its to_dict() (which carries the Table 1 levels as
    "table1"), so nothing is parsed again per chart."""
    # matplotlib is imported on first use: it would add about half a second to the start-up of every command.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    data = result.to_dict() if isinstance(result, RoleFit) else result
    matrix = data.get("table1") or {}
    skills = data["skills"]
    skill_ids = list(skills)
    roles = [r["role"] for r in data["ranking"][:top]] or list(ROLES)
    if not matrix:
        raise FitInputError("this result carries no Table 1 levels to plot")
    fig = Figure(figsize=(8.5, 0.55 * len(skill_ids) + 1.8), dpi=110)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    n_bars = 1 + len(roles)
    height = 0.8 / n_bars
    y = np.arange(len(skill_ids))[::-1].astype(float)
    slot = lambda b: y + 0.4 - height / 2 - b * height  # noqa: E731 - bar b of each group, top first
    for yy, sid in zip(slot(0), skill_ids):
        level = skills[sid]["level"]
        if level is None:  # nothing known: an outlined neutral bar, not a made-up value
            ax.barh(yy, 0.5, height, color="white", edgecolor="#333333", hatch="//", linewidth=0.6)
            ax.text(0.52, yy, "not stated", va="center", fontsize=7, color="#555555")
        else:
            ax.barh(yy, level, height, color="#222222")
    handles = [Patch(color="#222222", label="You")]
    for b, role in enumerate(roles, start=1):
        share = next((r["score"] for r in data["ranking"] if r["role"] == role), None)
        label = f"{role} ({share:.0%})" if share is not None else role
        colour = ROLE_COLOURS.get(role, "#999999")
        ax.barh(slot(b), [matrix[role][sid] for sid in skill_ids], height, color=colour, alpha=0.8)
        handles.append(Patch(color=colour, alpha=0.8, label=label))
    ax.set_yticks(y)
    ax.set_yticklabels([CHART_LABELS.get(sid, skills[sid]["label"]) for sid in skill_ids], fontsize=9)
    ax.set_xlim(0, 1.05)
    ax.set_xticks([0, 0.15, 0.35, 0.6, 1.0])
    ax.set_xticklabels(["0", "○", "○/✓", "✓", "✓✓"], fontsize=8)
    ax.set_xlabel("involvement (roles: Table 1 of the paper; you: from your profile/quiz, 0.5 = neutral)", fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    ax.legend(
        handles=handles, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=len(handles), fontsize=8, frameon=False
    )
    title = (
        "Role fit — tell me more to get a ranking"
        if data.get("needs_more")
        else f"Role fit: {roles[0]} (confidence {data.get('confidence_label', '')})"
    )
    ax.set_title(title, fontsize=11, pad=24)
    fig.tight_layout()
    return fig
