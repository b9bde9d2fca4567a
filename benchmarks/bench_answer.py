"""Answer latency through the product's path (the chat engine: planner, tools, draft, verification) with a
backend (default: the bundled SmolLM2 via llama.cpp), after warm-up. Run it with `--llm none` beside it for
the floor.

Targets: full verified answer p50 <= 3 s with the bundled backend (issue 11); time to first streamed token
p50 <= 1.5 s; verification overhead reported as a ratio to draft time.
Run: .venv/bin/python benchmarks/bench_answer.py [--llm local|none] [--runs 5] [--questions 10]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _util import median, p, print_table  # noqa: E402

from advisor.chat import get_engine  # noqa: E402
from advisor.core.jsonl import load_jsonl  # noqa: E402
from advisor.core.settings import PROJECT_ROOT, Settings  # noqa: E402
from advisor.grounding.vectors import clear_vector_cache  # noqa: E402

QUESTIONS = PROJECT_ROOT / "benchmarks" / "data" / "dev_questions.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--llm", default="local")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--questions", type=int, default=10)
    args = parser.parse_args()
    engine = get_engine(args.llm, Settings())
    questions = [q["q"] for q in load_jsonl(QUESTIONS)][: args.questions]
    engine.ask(questions[0])  # warm-up: model load, caches
    per_run = {"first_token_s": [], "total_s": [], "draft_s": [], "verify_s": [], "after_draft_s": [], "retrieve_s": []}
    for _ in range(args.runs):
        # Temperature 0 repeats each draft exactly; a cold sentence-vector cache per run keeps the
        # verification time honest (passage sentences still recur across questions within a run).
        clear_vector_cache()
        run = {k: [] for k in per_run}
        for q in questions:
            timings = dict(engine.ask(q).timings)
            if "draft_s" in timings:  # verification + evidence selection + assembly
                timings["after_draft_s"] = timings["total_s"] - timings["retrieve_s"] - timings["draft_s"]
            for key in run:
                if key in timings:
                    run[key].append(timings[key])
        for key, values in run.items():
            if values:
                per_run[key].append((p(values, 50), p(values, 95)))
    rows = []
    targets = {"first_token_s": 1.5, "total_s": 3.0}
    for key, pairs in per_run.items():
        if pairs:
            rows.append([key, median([a for a, _ in pairs]), median([b for _, b in pairs]), targets.get(key, "")])
    draft = median([a for a, _ in per_run["draft_s"]]) if per_run["draft_s"] else 0.0
    verify = median([a for a, _ in per_run["verify_s"]])
    after = median([a for a, _ in per_run["after_draft_s"]]) if per_run["after_draft_s"] else 0.0
    rows.append(["verification / draft time (p50s)", verify / draft if draft else float("nan"), "", ""])
    rows.append(["all post-draft work / draft time (p50s)", after / draft if draft else float("nan"), "", ""])
    backend = engine.answers.backend().name if engine.answers.backend() else "none"
    print_table(
        f"Answer latency, backend {backend}, {len(questions)} questions x {args.runs} runs (seconds)",
        ["stage", "p50", "p95", "target p50"],
        rows,
    )


if __name__ == "__main__":
    main()
