"""The bundled all-MiniLM-L6-v2 sentence encoder, loaded once per process, offline.

Batches (indexing, verification) run through sentence-transformers on torch. Single queries, whose
latency is most of a search, run through the same weights exported once to ONNX and executed by
onnxruntime on one thread: about twice as fast, and the vectors agree with torch's (checked at load;
any doubt and we fall back to torch).
"""

from __future__ import annotations

import copy
import hashlib
import logging
import os
import threading
import warnings
from functools import cached_property
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from ..core.cache import OnceCache
from ..core.settings import Settings, get_settings

_lock = threading.Lock()
log = logging.getLogger(__name__)

# Inputs this small go to the ONNX encoder; bigger batches amortise torch's overhead and use both cores.
ONNX_MAX_TEXTS = 4
_PROBE = "Research engineers build the large-scale training systems behind frontier models."


def export_onnx(model, path: Path) -> None:
    """Write the transformer of a sentence-transformers model as ONNX (dynamic batch and length),
    atomically: a killed export leaves no half-written file behind."""
    import torch

    transformer = model[0].auto_model.eval()

    class LastHiddenState(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    names = ["input_ids", "attention_mask", "token_type_ids"]
    sample = model[0].tokenizer(["an example query"], return_tensors="pt")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tracer warnings about shape-dependent branches we do not hit
            torch.onnx.export(
                LastHiddenState(transformer),
                tuple(sample[n] for n in names),
                str(tmp),
                input_names=names,
                output_names=["last_hidden_state"],
                opset_version=17,
                dynamic_axes={n: {0: "batch", 1: "tokens"} for n in names + ["last_hidden_state"]},
                dynamo=False,
            )
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


class OnnxEncoder:
    """Mean-pooled, L2-normalised MiniLM vectors from an ONNX export, on one onnxruntime thread."""

    def __init__(self, path: Path, tokenizer, max_length: int, threads: int = 1):
        import onnxruntime as ort

        options = ort.SessionOptions()
        # One thread for queries: a query is too small to split, and one thread degrades least under load.
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        # A private copy of the tokenizer behind its own lock: a Rust fast tokenizer whose padding and
        # truncation are set per call fails ("Already borrowed") when two threads use it at once.
        self.tokenizer = copy.deepcopy(tokenizer)
        self._tokenizer_lock = threading.Lock()
        self.max_length = max_length
        self.inputs = [i.name for i in self.session.get_inputs()]

    def encode(self, texts: list[str]) -> np.ndarray:
        with self._tokenizer_lock:
            batch = self.tokenizer(
                texts, return_tensors="np", padding=True, truncation=True, max_length=self.max_length
            )
        hidden = self.session.run(None, {n: batch[n].astype(np.int64) for n in self.inputs})[0]
        mask = batch["attention_mask"][..., None].astype(np.float32)
        pooled = (hidden * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
        return (pooled / np.linalg.norm(pooled, axis=1, keepdims=True)).astype(np.float32)


class MiniLMEmbeddings(Embeddings):
    """LangChain Embeddings over sentence-transformers; vectors are L2-normalised."""

    def __init__(self, model_path: Path, batch_size: int = 64, threads: int = 2, onnx_path: Path | None = None):
        import torch
        import transformers
        from sentence_transformers import SentenceTransformer

        transformers.utils.logging.disable_progress_bar()  # no "Loading weights" bar on every start

        torch.set_num_threads(threads)
        self.model_path = Path(model_path)
        self.batch_size = batch_size
        self.threads = threads
        self.model = SentenceTransformer(str(self.model_path), device="cpu", local_files_only=True)
        self.onnx: OnnxEncoder | None = self._load_onnx(onnx_path) if onnx_path else None

    def _load_onnx(self, path: Path) -> OnnxEncoder | None:
        """The ONNX query encoder, exported on first use; None (torch for everything) if it cannot be
        built or disagrees with torch."""
        for attempt in (1, 2):
            try:
                if not path.exists():
                    export_onnx(self.model, path)
                encoder = OnnxEncoder(path, self.model[0].tokenizer, self.model.max_seq_length)
                agreement = float(encoder.encode([_PROBE])[0] @ self._torch_encode([_PROBE])[0])
                if agreement < 0.9999:
                    raise ValueError(f"ONNX and torch vectors disagree (cosine {agreement:.5f})")
                return encoder
            except Exception as exc:  # the fast path is an optimisation: never a reason not to answer
                if attempt == 1 and path.exists():  # a damaged or stale export: export afresh once
                    path.unlink(missing_ok=True)
                    continue
                log.warning("query encoder falls back to torch: %s", exc)
        return None

    def _torch_encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        import torch

        with _lock:  # torch inference is not re-entrant across threads on one model
            # A query or two is too small to split across cores: one thread avoids the fork/join cost
            # (and collapses far less when the other core is busy). Batches use every thread.
            torch.set_num_threads(1 if len(texts) <= ONNX_MAX_TEXTS else self.threads)
            return self.model.encode(
                texts,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=progress,
            )

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if self.onnx is not None and len(texts) <= ONNX_MAX_TEXTS:
            return self.onnx.encode(texts)
        return self._torch_encode(texts, progress).astype(np.float32)

    @cached_property
    def vocabulary(self) -> frozenset[str]:
        """The whole words of the model's word-piece vocabulary: what it reads as a common word ("guy",
        "brown") rather than spells out piece by piece ("huyen")."""
        return frozenset(w for w in self.model[0].tokenizer.get_vocab() if w.isalpha())

    @property
    def dimension(self) -> int:
        return int(self.model.get_sentence_embedding_dimension())

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.encode([text])[0].tolist()


_EMBEDDERS: OnceCache[MiniLMEmbeddings] = OnceCache(maxsize=2)


def onnx_path_for(settings: Settings) -> Path | None:
    """Where the ONNX export of the embedding model lives (generated, git-ignored), or None."""
    if settings.embedding.query_encoder != "onnx":
        return None
    import torch

    model = hashlib.sha256(str(settings.embedding.resolved_model_path().resolve()).encode()).hexdigest()[:10]
    return Path(settings.embedding.encoder_dir) / f"minilm-{model}-torch{torch.__version__}.onnx"


def get_embedder(settings: Settings | None = None) -> MiniLMEmbeddings:
    settings = settings or get_settings()
    onnx_path = onnx_path_for(settings)
    knobs = settings.embedding
    model_path = knobs.resolved_model_path()
    return _EMBEDDERS.get(
        (str(model_path), knobs.batch_size, knobs.threads, str(onnx_path)),
        lambda: MiniLMEmbeddings(model_path, knobs.batch_size, knobs.threads, onnx_path),
    )
