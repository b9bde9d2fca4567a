"""Quality measurements: retrieval, answers and role fit on JSON Lines sets."""

from .answers import evaluate_answers
from .fit import evaluate_fit
from .retrieval import evaluate_retrieval

__all__ = ["evaluate_answers", "evaluate_fit", "evaluate_retrieval"]
