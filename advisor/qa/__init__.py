"""Engine: cited answers to questions about the roles (retrieve, draft, verify, compose)."""

from .compose import Focus, assemble, evidence_claims, quote_text, rank_sentences, word_share, word_weights
from .coverage import ASKS_QUANTITY, QUESTION_WORDS, Coverage, Vocabulary, assess_coverage
from .draft import draft_messages, is_instruction_like, numbered_passages_text, passage_line
from .engine import AnswerEngine, prepare_question
from .followup import condense_deterministic, condense_question, looks_like_follow_up
from .verify import Verified, non_redundant, verify_draft

__all__ = [
    "ASKS_QUANTITY",
    "QUESTION_WORDS",
    "AnswerEngine",
    "Coverage",
    "Verified",
    "Vocabulary",
    "assemble",
    "assess_coverage",
    "condense_deterministic",
    "condense_question",
    "draft_messages",
    "Focus",
    "evidence_claims",
    "quote_text",
    "rank_sentences",
    "word_share",
    "word_weights",
    "is_instruction_like",
    "looks_like_follow_up",
    "non_redundant",
    "numbered_passages_text",
    "passage_line",
    "prepare_question",
    "verify_draft",
]
