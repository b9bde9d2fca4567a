"""The web app: (a) process start to first HTTP 200 with the index built (target <= 15 s, median of
several starts); (b) 20 concurrent gradio_client sessions each asking a question: p50/p95 latency and
errors (must be 0).

    .venv/bin/python benchmarks/bench_ui.py [--starts 5] [--clients 20] [--llm none|local|auto|...]

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


def bench_concurrent_chats(clients: int, env: dict) -> tuple[list[float], list[str], float]:
    """(latencies of successful chats, error messages, wall time) for `clients` simultaneous sessions."""
    from gradio_client import Client

    process, _ = start_server(free_port(), env)
    url = f"http://127.0.0.1:{process.args[-1]}/"
    try:
        # One client per simulated user: each gradio_client.Client is its own session (own gr.State).
        sessions = [Client(url, verbose=False) for _ in range(clients)]
        Client(url, verbose=False).predict("What is a research engineer?", api_name="/respond")  # warm-up
        latencies: list[float] = []
        errors: list[str] = []
        lock = threading.Lock()
        barrier = threading.Barrier(clients)

        def chat(i: int) -> None:
            barrier.wait()  # all sessions ask at the same moment
            started = time.perf_counter()
            try:
                messages, _ = sessions[i].predict(QUESTIONS[i % len(QUESTIONS)], api_name="/respond")
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
        threads = [threading.Thread(target=chat, args=(i,)) for i in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return latencies, errors, time.perf_counter() - wall_start
    finally:
        stop_server(process)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=5, help="process starts to time (median reported)")
    parser.add_argument("--clients", type=int, default=20, help="simultaneous chat sessions")
    parser.add_argument("--llm", default=None, help="ADVISOR_LLM for the served app (none, local, auto, ...)")
    args = parser.parse_args()

    env = dict(os.environ)
    if args.llm:
        env["ADVISOR_LLM"] = args.llm
    backend = env.get("ADVISOR_LLM", "auto")
    subprocess.run(
        [*advisor_command(), "index", "--quiet"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL
    )  # (a) is measured with the index already built

    starts = bench_start(args.starts, env)
    print_table(
        f"(a) process start → first HTTP 200, {args.starts} starts (target ≤ {START_TARGET_S:.0f} s)",
        ["median s", "min s", "max s", "target met"],
        [[median(starts), min(starts), max(starts), "yes" if median(starts) <= START_TARGET_S else "NO"]],
    )

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
    return 0 if not errors and median(starts) <= START_TARGET_S else 1


if __name__ == "__main__":
    raise SystemExit(main())
