"""Stage 5: language-model backends (a registry by name) and every prompt."""

from .backends import BACKENDS, Backend, BackendError, BackendNotInstalled, get_backend, resolve_spec
from .local import LlamaCppChat, ModelBusyError, bundled_model_path

__all__ = [
    "BACKENDS",
    "Backend",
    "BackendError",
    "BackendNotInstalled",
    "LlamaCppChat",
    "ModelBusyError",
    "bundled_model_path",
    "get_backend",
    "resolve_spec",
]
