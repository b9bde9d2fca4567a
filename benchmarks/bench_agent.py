"""What a tool-calling plan costs and how it ends (issue 12), over real HTTP.

1. Scripted OpenAI-compatible server, a capable model's plan (search the passages, then answer from them):
   model calls, tokens (counted as words by the scripted server) and seconds per answer, beside the offline
   planner on the same questions in the same run (the floor: no model at all).
2. The same scripted server staging every failure: how each one ended and how long it took.
3. llama-cpp-python's own server with the bundled SmolLM2 (`openai:smollm2`): answers per minute, the share
   that ended verified vs in the fallback, p50/p95 wall time; beside it one plain chat completion per question
   through the same server (the raw library underneath, no tools).

Run: .venv/bin/python benchmarks/bench_agent.py [--questions 12] [--runs 3] [--skip-llama]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT))
from _util import median, p, print_table  # noqa: E402

from advisor.chat import ChatEngine  # noqa: E402
from advisor.core.jsonl import load_jsonl  # noqa: E402
from advisor.core.settings import Settings  # noqa: E402
from advisor.llm import bundled_model_path  # noqa: E402
from advisor.qa import AnswerEngine  # noqa: E402
from tests.llm_servers import Reply, ScriptedLLM, first_passage_sentence, llama_cpp_server  # noqa: E402

QUESTIONS = ROOT / "benchmarks" / "data" / "dev_questions.jsonl"


def capable_plan(body: dict, n: int) -> Reply:
    question = next(m["content"] for m in reversed(body["messages"]) if m["role"] == "user")
    if "[1] " not in "".join(str(m.get("content")) for m in body["messages"] if m["role"] == "tool"):
        return Reply(tool_calls=[("search_passages", {"query": question})])
    return Reply(content=first_passage_sentence(body))


FAILURES = {
    "plan that works": capable_plan,
    "malformed arguments": lambda b, n: (
        Reply(tool_calls=[("table1", {"roles": "all"})]) if n == 1 else capable_plan(b, n)
    ),
    "unknown tool": lambda b, n: Reply(tool_calls=[("drop_index", {})]) if n == 1 else capable_plan(b, n),
    "repeats one call": lambda b, n: Reply(tool_calls=[("search_passages", {"query": "same"})]),
    "never ends": lambda b, n: Reply(tool_calls=[("search_passages", {"query": f"q{n}"})]),
    "never calls a tool": lambda b, n: Reply(content="Research engineers write code [1]."),
    "no citation in the draft": lambda b, n: (
        Reply(content=first_passage_sentence(b).split(" [")[0] + ".") if n > 1 else capable_plan(b, n)
    ),
    "hangs": lambda b, n: Reply(hang_s=20) if n == 2 else capable_plan(b, n),
    "dies mid-plan": lambda b, n: Reply(die=True) if n == 2 else capable_plan(b, n),
    "HTTP 500": lambda b, n: Reply(status=500) if n == 2 else capable_plan(b, n),
}


def engine(settings: Settings, spec: str) -> ChatEngine:
    chat = ChatEngine(AnswerEngine(settings, llm=spec), wait_for_audit=True)
    chat.warm_up()
    return chat


def scripted(questions: list[str], runs: int, settings: Settings) -> None:
    box = {"script": capable_plan}
    server = ScriptedLLM(lambda body, n: box["script"](body, n))
    s = settings.with_group("llm", base_url=server.openai_url).with_group("agent", model_first_tool="")
    agent, offline = engine(s, "openai:scripted"), engine(s, "none")
    per_run: dict[str, list[float]] = {k: [] for k in ("agent_s", "offline_s", "calls", "input", "output", "verified")}
    for _ in range(runs):
        run: dict[str, list[float]] = {k: [] for k in per_run}
        for q in questions:
            started = time.perf_counter()
            answer = agent.ask(q)
            run["agent_s"].append(time.perf_counter() - started)
            started = time.perf_counter()
            offline.ask(q)
            run["offline_s"].append(time.perf_counter() - started)
            run["calls"].append(answer.timings.get("model_calls", 0))
            run["input"].append(answer.timings.get("input_tokens", 0))
            run["output"].append(answer.timings.get("output_tokens", 0))
            run["verified"].append(float(answer.policy == "tool-agent"))
        for key, values in run.items():
            per_run[key].append(median(values) if key != "verified" else sum(values) / len(values))
    agent_s, offline_s = median(per_run["agent_s"]), median(per_run["offline_s"])
    print_table(
        f"Scripted OpenAI-compatible server, plan: search then answer ({len(questions)} questions x {runs} runs)",
        ["measure", "per answer"],
        [
            ["model calls", median(per_run["calls"])],
            ["input tokens (words)", median(per_run["input"])],
            ["output tokens (words)", median(per_run["output"])],
            ["seconds, tool-calling agent", agent_s],
            ["seconds, offline planner (same run)", offline_s],
            ["agent / offline", agent_s / offline_s if offline_s else float("nan")],
            ["share verified", median(per_run["verified"])],
        ],
    )
    rows = []
    wall = 8.0
    s = s.with_group("agent", model_wall_s=wall, model_max_calls=4).with_group("llm", timeout_s=wall)
    failing = engine(s, "openai:scripted")
    for name, script in FAILURES.items():
        box["script"] = script
        server.requests.clear()  # the scripts count this case's calls from 1
        started = time.perf_counter()
        answer = failing.ask(questions[0])
        seconds = time.perf_counter() - started
        note = next((n for n in answer.notices if "plan ended" in n), "")
        reason = note.split("answer (", 1)[-1].rsplit("); this", 1)[0] if note else ""
        rows.append([name, answer.policy, "verified" if answer.policy == "tool-agent" else "fallback", reason, seconds])
    print_table(
        f"Every failure, scripted (wall bound {wall:.0f} s, 4 model calls)",
        ["case", "policy", "ended", "notice", "s"],
        rows,
    )
    server.close()


def llama(questions: list[str], runs: int, settings: Settings) -> None:
    from langchain_openai import ChatOpenAI

    wall = settings.agent.model_wall_s
    with llama_cpp_server(bundled_model_path()) as url:
        s = settings.with_group("llm", base_url=url, stream=False, timeout_s=wall)
        agent = engine(s, "openai:smollm2")
        raw = ChatOpenAI(model="smollm2", base_url=url, api_key="none", max_completion_tokens=s.llm.max_tokens)
        per_run: dict[str, list] = {"wall": [], "raw": [], "verified": [], "per_min": []}
        for _ in range(runs):
            walls, raws, verified = [], [], 0
            started_all = time.perf_counter()
            for q in questions:
                started = time.perf_counter()
                answer = agent.ask(q)
                walls.append(time.perf_counter() - started)
                verified += answer.policy == "tool-agent"
            elapsed = time.perf_counter() - started_all
            for q in questions:
                started = time.perf_counter()
                raw.invoke(q)
                raws.append(time.perf_counter() - started)
            per_run["wall"].append((p(walls, 50), p(walls, 95)))
            per_run["raw"].append(p(raws, 50))
            per_run["verified"].append(verified / len(questions))
            per_run["per_min"].append(len(questions) / elapsed * 60)
    p50 = median([a for a, _ in per_run["wall"]])
    raw50 = median(per_run["raw"])
    print_table(
        f"llama.cpp server + SmolLM2 as openai:smollm2 ({len(questions)} questions x {runs} runs, medians)",
        ["measure", "value"],
        [
            ["answers per minute", median(per_run["per_min"])],
            ["share verified (policy tool-agent)", median(per_run["verified"])],
            ["share fallback (offline planner + notice)", 1 - median(per_run["verified"])],
            ["wall p50 s", p50],
            ["wall p95 s", median([b for _, b in per_run["wall"]])],
            ["plain completion p50 s (raw, no tools)", raw50],
            ["agent p50 / raw p50", p50 / raw50 if raw50 else float("nan")],
        ],
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=int, default=12)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--llama-runs", type=int, default=2)
    parser.add_argument("--skip-llama", action="store_true")
    args = parser.parse_args()
    settings = Settings()
    questions = [str(q["q"]) for q in load_jsonl(QUESTIONS)][: args.questions]
    scripted(questions, args.runs, settings)
    if not args.skip_llama:
        llama(questions, args.llama_runs, settings)


if __name__ == "__main__":
    main()
