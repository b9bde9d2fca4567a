"""Stage 4: claims and their support by passages. Shared by answers (verify every sentence) and the audit."""

from .claims import DraftSentence, split_claims
from .support import Support, missing_details, passage_sentences, required_details, score_support, support_score
from .vectors import encode_cached, remember_vectors

__all__ = [
    "DraftSentence",
    "Support",
    "encode_cached",
    "remember_vectors",
    "missing_details",
    "passage_sentences",
    "required_details",
    "score_support",
    "split_claims",
    "support_score",
]
