"""The bundled MiniLM: the fast ONNX query path gives torch's vectors, and a damaged export heals."""

from __future__ import annotations

import numpy as np

from advisor.index.embeddings import MiniLMEmbeddings, get_embedder, onnx_path_for

TEXTS = [
    "Which role fits me?",
    "I have a PhD, love publishing, and hate being on call.",
    "What does OpenAI look for in research engineers? " * 60,  # longer than the model's 256 tokens
]


def test_queries_use_onnx_and_match_torch(settings):
    embedder = get_embedder(settings)
    assert embedder.onnx is not None, "the ONNX query encoder loaded"
    for text in TEXTS:
        fast = embedder.encode([text])[0]
        exact = embedder._torch_encode([text])[0]
        assert float(fast @ exact) > 0.9999
        assert abs(float(np.linalg.norm(fast)) - 1.0) < 1e-4
    batch = embedder.encode(TEXTS[:3])  # padded batch through ONNX
    assert np.allclose(batch, embedder._torch_encode(TEXTS[:3]), atol=1e-4)


def test_a_damaged_export_is_replaced(settings, tmp_path):
    path = tmp_path / "encoder" / "minilm.onnx"
    path.parent.mkdir()
    path.write_bytes(b"not an onnx model")
    embedder = MiniLMEmbeddings(settings.embedding.resolved_model_path(), onnx_path=path)
    assert embedder.onnx is not None and path.stat().st_size > 1_000_000
    vector = embedder.encode([TEXTS[0]])[0]
    assert float(vector @ embedder._torch_encode([TEXTS[0]])[0]) > 0.9999


def test_torch_only_when_asked(settings):
    assert onnx_path_for(settings.with_group("embedding", query_encoder="torch")) is None


def test_concurrent_queries_get_the_same_vectors(settings):
    from concurrent.futures import ThreadPoolExecutor

    embedder = get_embedder(settings)
    texts = [f"question number {i} about research engineers and {'distributed training ' * (i % 5)}" for i in range(40)]
    expected = [embedder.encode([t])[0] for t in texts]
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda t: embedder.encode([t])[0], texts))
    for a, b in zip(expected, got):
        assert float(a @ b) > 0.9999
