"""Scripted language-model servers over real HTTP, speaking the OpenAI chat-completions protocol (server-sent
events or one JSON response) and Ollama's /api/chat (NDJSON), tool calls included.

A script is a function (request body, call number) -> Reply. Replies can call tools, write a draft, hang,
die half-way or fail, so every failure of a tool-calling plan can be staged against the real client
libraries (langchain-openai, langchain-ollama)."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx


@dataclass
class Reply:
    content: str = ""
    tool_calls: list[tuple[str, dict | str]] = field(default_factory=list)  # a str is sent as-is (malformed)
    hang_s: float = 0.0  # sleep before answering
    die: bool = False  # close the connection after the first chunk
    status: int = 200


Script = Callable[[dict, int], Reply]


def tool_texts(body: dict) -> list[str]:
    """What the tools returned so far in this conversation (the tool messages' contents)."""
    return [str(m.get("content", "")) for m in body.get("messages", []) if m.get("role") == "tool"]


def first_passage_sentence(body: dict) -> str:
    """A draft the verifier must accept: the first sentence of the first numbered passage a tool returned,
    cited with its number."""
    for text in tool_texts(body):
        match = re.search(r"^\[(\d+)\] (.+)$", text, re.M)
        if match:
            sentence = re.split(r"(?<=[.!?])\s", match.group(2).strip(), maxsplit=1)[0].rstrip(".")
            return f"{sentence} [{match.group(1)}]."
    return "The sources do not cover this."


class ScriptedLLM:
    def __init__(self, script: Script):
        self.script = script
        self.requests: list[dict] = []
        self.paths: list[str] = []
        handler = type("Handler", (_Handler,), {"owner": self})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def openai_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def ollama_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def reply(self, body: dict) -> Reply:
        self.requests.append(body)
        return self.script(body, len(self.requests))

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class _Handler(BaseHTTPRequestHandler):
    owner: ScriptedLLM
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # keep test output clean
        pass

    def do_GET(self):
        self.owner.paths.append(self.path)
        if self.path.startswith("/api/tags"):
            self._json({"models": [{"name": "scripted", "model": "scripted"}]})
        else:
            self._json({"error": "not found"}, 404)

    def do_POST(self):
        self.owner.paths.append(self.path)
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        reply = self.owner.reply(body)
        if reply.hang_s:
            time.sleep(reply.hang_s)
        if reply.status != 200:
            self._json({"error": {"message": "scripted failure", "type": "server_error"}}, reply.status)
            return
        if self.path.startswith("/api/chat"):
            self._ollama(body, reply)
        elif body.get("stream"):
            self._openai_stream(body, reply)
        elif reply.die:  # one response per call: the connection closes before any of it is sent
            self.connection.shutdown(socket.SHUT_RDWR)
        else:
            self._json(_openai_completion(body, reply))

    # -- OpenAI
    def _openai_stream(self, body: dict, reply: Reply):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        chunks = []
        if reply.tool_calls:
            for i, (name, args) in enumerate(reply.tool_calls):
                arguments = args if isinstance(args, str) else json.dumps(args)
                call = {"index": i, "id": f"call_{i}", "type": "function", "function": {"name": name, "arguments": ""}}
                chunks.append({"role": "assistant", "tool_calls": [call]})
                half = len(arguments) // 2  # arguments arrive in pieces, as real servers send them
                for piece in (arguments[:half], arguments[half:]):
                    chunks.append({"tool_calls": [{"index": i, "function": {"arguments": piece}}]})
        else:
            words = reply.content.split(" ")
            chunks += [{"content": w + (" " if i < len(words) - 1 else "")} for i, w in enumerate(words)]
        for n, delta in enumerate(chunks):
            self._event(_chunk(body, {"index": 0, "delta": delta, "finish_reason": None}))
            if reply.die and n == 0:
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_RDWR)
                return
        finish = "tool_calls" if reply.tool_calls else "stop"
        self._event(_chunk(body, {"index": 0, "delta": {}, "finish_reason": finish}))
        self._event({**_chunk(body, None), "choices": [], "usage": _usage(body, reply)})
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()

    def _event(self, data: dict):
        self.wfile.write(f"data: {json.dumps(data)}\n\n".encode())

    # -- Ollama
    def _ollama(self, body: dict, reply: Reply):
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.send_header("Connection", "close")
        self.end_headers()
        stamp = "2026-12-03T00:00:00Z"
        lines = []
        if reply.tool_calls:
            calls = [
                {"function": {"name": name, "arguments": args if isinstance(args, dict) else {"raw": args}}}
                for name, args in reply.tool_calls
            ]
            lines.append({"role": "assistant", "content": "", "tool_calls": calls})
        else:
            words = reply.content.split(" ")
            lines += [
                {"role": "assistant", "content": w + (" " if i < len(words) - 1 else "")} for i, w in enumerate(words)
            ]
        for n, message in enumerate(lines):
            self.wfile.write(
                (
                    json.dumps({"model": body.get("model"), "created_at": stamp, "message": message, "done": False})
                    + "\n"
                ).encode()
            )
            if reply.die and n == 0:
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_RDWR)
                return
        usage = _usage(body, reply)
        final = {
            "model": body.get("model"),
            "created_at": stamp,
            "message": {"role": "assistant", "content": ""},
            "done": True,
            "done_reason": "stop",
            "prompt_eval_count": usage["prompt_tokens"],
            "eval_count": usage["completion_tokens"],
        }
        self.wfile.write((json.dumps(final) + "\n").encode())
        self.wfile.flush()

    def _json(self, data: dict, status: int = 200):
        payload = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


def _chunk(body: dict, choice: dict | None) -> dict:
    return {
        "id": "scripted",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": body.get("model", "scripted"),
        "choices": [choice] if choice else [],
    }


def _usage(body: dict, reply: Reply) -> dict:
    """Token counts as words: the scripted runs report what a plan costs in the same units every time."""
    prompt = sum(len(str(m.get("content", "")).split()) for m in body.get("messages", []))
    completion = len(reply.content.split()) + sum(len(json.dumps(a).split()) for _, a in reply.tool_calls)
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def _openai_completion(body: dict, reply: Reply) -> dict:
    message: dict = {"role": "assistant", "content": reply.content or None}
    if reply.tool_calls:
        message["tool_calls"] = [
            {
                "id": f"call_{i}",
                "type": "function",
                "function": {"name": name, "arguments": args if isinstance(args, str) else json.dumps(args)},
            }
            for i, (name, args) in enumerate(reply.tool_calls)
        ]
    return {
        "id": "scripted",
        "object": "chat.completion",
        "created": 0,
        "model": body.get("model", "scripted"),
        "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls" if reply.tool_calls else "stop"}],
        "usage": _usage(body, reply),
    }


@contextmanager
def llama_cpp_server(model_path: str, alias: str = "smollm2", start_s: float = 120.0) -> Iterator[str]:
    """llama-cpp-python's own OpenAI-compatible server (the `server` extra) on a free port, with a chat format
    that takes tools; yields its /v1 URL."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    command = [sys.executable, "-m", "llama_cpp.server", "--model", model_path, "--model_alias", alias]
    command += ["--chat_format", "chatml-function-calling", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--n_ctx", "4096", "--n_threads", str(min(2, os.cpu_count() or 1))]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.time() + start_s
        while True:
            try:
                if httpx.get(f"{url}/models", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.time() > deadline or process.poll() is not None:
                raise RuntimeError(f"llama_cpp.server did not start within {start_s:.0f} s")
            time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
