"""The web app: (a) process start to first HTTP 200 with the index built (target <= 15 s, median of
several starts); (b) 20 concurrent gradio_client sessions each asking a question: p50/p95 latency and
errors (must be 0); (c) the start-up burst: the same sessions ask the moment the page first answers,
before the models are loaded, against a warm start (one chat, then the sessions): latency and the server's
resident memory before and after; the burst must leave it within 1.2x of the warm start.

    .venv/bin/python benchmarks/bench_ui.py [--starts 5] [--clients 20] [--llm none|local|auto|...] [--only burst]

Each measurement starts `advisor serve` on a free loopback port in a subprocess, exactly as a user would.
--llm sets ADVISOR_LLM for the served app (default: whatever the environment says, else "auto").
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from benchmarks._util import median, p, print_table  # noqa: E402

START_TARGET_S = 15.0
BURST_MEMORY_RATIO = 1.2  # resident memory after a start-up burst, against the same chats on a warm start
QUESTIONS = (
    "Do research engineers need a PhD?",
    "How does OpenAI describe the research engineer role?",
    "Which skills do all four roles share?",
    "What does an applied scientist do at Amazon?",
    "Do engineers at Anthropic publish papers?",
    "What is the difference between a research scientist and a research engineer?",
    "Why does distributed training matter for researchers?",
    "What does an ML engineer do?",
    "How do frontier labs organise research and engineering teams?",
    "What is the AI Roles Continuum?",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def advisor_command() -> list[str]:
    script = Path(sys.executable).with_name("advisor")
    return [str(script)] if script.exists() else [sys.executable, "-m", "advisor"]


def start_server(port: int, env: dict) -> tuple[subprocess.Popen, float]:
    """Start `advisor serve` and return (process, seconds from process start to the first HTTP 200)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [*advisor_command(), "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}/"
    while True:
        if process.poll() is not None:
            raise RuntimeError(
                f"advisor serve exited with {process.returncode}: "
                f"{process.stderr.read().decode(errors='replace')[-2000:]}"
            )
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return process, time.perf_counter() - started
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if time.perf_counter() - started > 180:
            process.terminate()
            raise RuntimeError("the app did not answer HTTP within 180 s")
        time.sleep(0.05)


def stop_server(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def bench_start(starts: int, env: dict) -> list[float]:
    times = []
    for _ in range(starts):
        process, seconds = start_server(free_port(), env)
        times.append(seconds)
        stop_server(process)
    return times


def rss_mb(pid: int) -> float:
    """Resident memory of a process (Linux /proc), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def settle_rss(pid: int, seconds: float = 3.0, limit: float = 120.0) -> float:
    """Resident memory once it has stopped moving (start-up threads such as the audit done)."""
    started, last, stable_since = time.perf_counter(), rss_mb(pid), time.perf_counter()
    while time.perf_counter() - started < limit:
        time.sleep(0.5)
        now = rss_mb(pid)
        if abs(now - last) > 5:
            last, stable_since = now, time.perf_counter()
        elif time.perf_counter() - stable_since >= seconds:
            return now
    return rss_mb(pid)


def ask_all(sessions: list, questions: tuple[str, ...]) -> tuple[list[float], list[str], float]:
    """Every session asks one question at the same moment: (latencies, errors, wall time)."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(sessions))

    def chat(i: int) -> None:
        barrier.wait()  # all sessions ask at the same moment
        started = time.perf_counter()
        try:
            messages, _ = sessions[i].predict(questions[i % len(questions)], api_name="/respond")
            if not messages or messages[-1]["role"] != "assistant" or 'class="answer' not in str(messages[-1]):
                raise RuntimeError(f"no answer in the reply: {str(messages)[:200]}")
            if "mode-error" in str(messages[-1]):
                raise RuntimeError("the app reported an error instead of an answer")
            with lock:
                latencies.append(time.perf_counter() - started)
        except Exception as exc:  # counted, and shown below the table
            with lock:
                errors.append(f"session {i}: {exc.__class__.__name__}: {exc}")

    wall_start = time.perf_counter()
    threads = [threading.Thread(target=chat, args=(i,)) for i in range(len(sessions))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, errors, time.perf_counter() - wall_start


def bench_concurrent_chats(clients: int, env: dict) -> tuple[list[float], list[str], float]:
    """(latencies of successful chats, error messages, wall time) for `clients` simultaneous sessions."""
    from gradio_client import Client

    process, _ = start_server(free_port(), env)
    url = f"http://127.0.0.1:{process.args[-1]}/"
    try:
        # One client per simulated user: each gradio_client.Client is its own session (own gr.State).
        sessions = [Client(url, verbose=False) for _ in range(clients)]
        Client(url, verbose=False).predict("What is a research engineer?", api_name="/respond")  # warm-up
        return ask_all(sessions, QUESTIONS)
    finally:
        stop_server(process)


def bench_burst(clients: int, env: dict, burst: bool) -> dict:
    """`clients` sessions asking together, either the moment the page first answers (burst) or once the
    server has warmed up and answered one chat (warm): latency and resident memory before and after."""
    from gradio_client import Client

    process, _ = start_server(free_port(), env)
    url = f"http://127.0.0.1:{process.args[-1]}/"
    try:
        if not burst:
            Client(url, verbose=False).predict("What is a research engineer?", api_name="/respond")
            settle_rss(process.pid)
        before = rss_mb(process.pid)
        sessions = [Client(url, verbose=False) for _ in range(clients)]
        latencies, errors, wall = ask_all(sessions, QUESTIONS)
        peak_after = rss_mb(process.pid)
        after = settle_rss(process.pid)
        return {
            "case": "burst at start" if burst else "warm start",
            "latencies": latencies,
            "errors": errors,
            "wall": wall,
            "before": before,
            "right_after": peak_after,
            "after": after,
        }
    finally:
        stop_server(process)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=5, help="process starts to time (median reported)")
    parser.add_argument("--clients", type=int, default=20, help="simultaneous chat sessions")
    parser.add_argument("--llm", default=None, help="ADVISOR_LLM for the served app (none, local, auto, ...)")
    parser.add_argument("--only", choices=["start", "chats", "burst"], default=None, help="run one measurement")
    args = parser.parse_args()

    env = dict(os.environ)
    if args.llm:
        env["ADVISOR_LLM"] = args.llm
    backend = env.get("ADVISOR_LLM", "auto")
    subprocess.run(
        [*advisor_command(), "index", "--quiet"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL
    )  # (a) is measured with the index already built

    ok = True
    if args.only in (None, "start"):
        starts = bench_start(args.starts, env)
        print_table(
            f"(a) process start → first HTTP 200, {args.starts} starts (target ≤ {START_TARGET_S:.0f} s)",
            ["median s", "min s", "max s", "target met"],
            [[median(starts), min(starts), max(starts), "yes" if median(starts) <= START_TARGET_S else "NO"]],
        )
        ok &= median(starts) <= START_TARGET_S

    if args.only in (None, "chats"):
        latencies, errors, wall = bench_concurrent_chats(args.clients, env)
        rows = [
            [
                args.clients,
                backend,
                p(latencies, 50) if latencies else float("nan"),
                p(latencies, 95) if latencies else float("nan"),
                max(latencies) if latencies else float("nan"),
                wall,
                len(errors),
            ]
        ]
        print_table(
            f"(b) {args.clients} concurrent chat sessions (gradio_client), one question each",
            ["sessions", "llm", "p50 s", "p95 s", "max s", "wall s", "errors"],
            rows,
        )
        for error in errors:
            print("  error:", error)
        ok &= not errors

    if args.only in (None, "burst"):
        runs = [bench_burst(args.clients, env, burst=False), bench_burst(args.clients, env, burst=True)]
        warm_after = runs[0]["after"]
        rows = []
        for r in runs:
            lat = r["latencies"]
            rows.append(
                [
                    r["case"],
                    backend,
                    p(lat, 50) if lat else float("nan"),
                    p(lat, 95) if lat else float("nan"),
                    len(r["errors"]),
                    r["before"],
                    r["right_after"],
                    r["after"],
                    r["after"] / warm_after,
                ]
            )
            for error in r["errors"]:
                print("  error:", error)
            ok &= not r["errors"]
        ratio = runs[1]["after"] / warm_after
        print_table(
            f"(c) {args.clients} sessions asking the moment the page answers vs on a warm start "
            f"(memory target: burst ≤ {BURST_MEMORY_RATIO}x warm)",
            [
                "case",
                "llm",
                "p50 s",
                "p95 s",
                "errors",
                "RSS before MB",
                "RSS right after MB",
                "RSS settled MB",
                "x warm",
            ],
            rows,
        )
        ok &= ratio <= BURST_MEMORY_RATIO
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
