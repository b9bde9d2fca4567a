"""The offline planner's intent model: which tool answers a question, learned from labelled questions.

Features are the MiniLM vector of the question and of the previous user question (zero when there is none),
so "Does it support the paper's claim?" after "What is reference 4?" reads as a claim check, and the TF-IDF
word and word-pair weights of both, fitted on the training questions: the embedding knows what a question is
about, the words which tool it names ("table 1", "cite", "section 3"; intent accuracy on the dev
conversations 0.70-0.90 -> 0.76-0.97 with them). A logistic regression (scikit-learn) over them gives
calibrated-enough probabilities, which the answerability model uses as features in turn. Trained on
advisor/agent/data/intents.jsonl and followups.jsonl; the held-out sets are never used.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from ..core.jsonl import load_jsonl
from ..core.text import words_of
from ..grounding import encode_cached

INTENTS = ("search", "table", "reference", "claim_check", "fit", "archetypes", "section", "off_topic")
# Intents whose answer a dedicated tool composes (the others search passages, run the fit or refuse).
TOOL_INTENTS = {
    "table": "table1",
    "reference": "references",
    "claim_check": "claim_check",
    "archetypes": "archetypes",
    "section": "paper_section",
}


def question_words() -> TfidfVectorizer:
    """TF-IDF weights of a question's words and word pairs, fitted on the training questions (the intent and
    the answerability models read the words beside the MiniLM vector)."""
    return TfidfVectorizer(tokenizer=words_of, token_pattern=None, ngram_range=(1, 2), min_df=2, sublinear_tf=True)


def training_file(name: str) -> Path:
    return Path(str(resources.files("advisor.agent") / "data" / name))


@dataclass(frozen=True)
class Example:
    question: str
    intent: str
    previous: str = ""
    follow_up: bool | None = None  # whether it leans on `previous`: labelled in followups.jsonl, else unknown


def load_examples(paths: Sequence[Path] | None = None) -> list[Example]:
    """Standalone questions (intents.jsonl) and questions asked after another one (followups.jsonl: a
    follow-up, or a new question that happens to come second)."""
    paths = paths or (training_file("intents.jsonl"), training_file("followups.jsonl"))
    return [e for path in paths for e in _examples(path)]


@lru_cache(maxsize=4)
def _examples(path: Path) -> tuple[Example, ...]:
    rows = load_jsonl(path)
    return tuple(
        Example(str(r["q"]), str(r["intent"]), str(r.get("prev") or ""), _follow_up_label(r))
        for r in rows
        if r.get("intent") in INTENTS
    )


def _follow_up_label(row: dict) -> bool | None:
    return not row["standalone"] if isinstance(row.get("standalone"), bool) else None


def data_key(examples: Sequence[Example], model_name: str) -> str:
    payload = json.dumps([[e.question, e.intent, e.previous, e.follow_up] for e in examples] + [model_name])
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


class IntentModel:
    """P(intent | question, previous question)."""

    def __init__(self, embedder, examples: Sequence[Example], regularization: float = 4.0, seed: int = 0):
        self.embedder = embedder
        self.examples = list(examples)
        rng = np.random.default_rng(seed)
        # Each question without context is also seen after an unrelated previous question: context must
        # only matter when the question leans on it.
        standalone = [e for e in self.examples if not e.previous]
        augmented = list(self.examples) + [
            Example(e.question, e.intent, standalone[int(rng.integers(len(standalone)))].question, follow_up=False)
            for e in standalone
        ]
        self.words = question_words().fit([e.question for e in self.examples])
        self._x = self.features([e.question for e in augmented], [e.previous for e in augmented])
        self._y = np.array([e.intent for e in augmented])
        self.model = LogisticRegression(C=regularization, max_iter=2000, class_weight="balanced")
        self.model.fit(self._x, self._y)
        self.labels = tuple(str(c) for c in self.model.classes_)
        # Follow-up or not, given the previous question: the labelled pairs, and every standalone question
        # after a random previous one as a question that does not lean on it.
        paired = [e for e in augmented if e.previous and e.follow_up is not None]
        self.follow_up_model = LogisticRegression(C=regularization, max_iter=2000, class_weight="balanced")
        self.follow_up_model.fit(
            self.pair_features([e.question for e in paired], [e.previous for e in paired]),
            np.array([e.follow_up for e in paired]),
        )

    def features(self, questions: Sequence[str], previous: Sequence[str]) -> sparse.csr_matrix:
        """[question vector, previous vector / 2, question words, previous words / 2]."""
        texts = list(questions) + [p for p in previous if p]
        vectors = encode_cached(self.embedder, texts) if texts else np.zeros((0, 384))
        q = vectors[: len(questions)]
        lookup = dict(zip([p for p in previous if p], vectors[len(questions) :]))
        dims = q.shape[1] if len(q) else 384
        prev = np.vstack([lookup[p] if p else np.zeros(dims, np.float32) for p in previous]) if previous else q * 0
        words = self.words.transform(list(questions))
        previous_words = self.words.transform([p or "" for p in previous])
        return sparse.hstack([sparse.csr_matrix(np.hstack([q, 0.5 * prev])), words, 0.5 * previous_words]).tocsr()

    def pair_features(self, questions: Sequence[str], previous: Sequence[str]) -> np.ndarray:
        """The question's vector and its product with the previous one's; the previous vector alone is left
        out (with it, the model learned which earlier questions its training pairs had: dev AUC 0.80 vs 0.90)."""
        vectors = encode_cached(self.embedder, list(questions) + list(previous))
        q, prev = vectors[: len(questions)], vectors[len(questions) :]
        return np.hstack([q, q * prev])

    def follow_up_probability(self, question: str, previous: str) -> float:
        """P(the question leans on the previous one): "how long did that process take?" does, "What do
        research engineers do at Meta?" does not."""
        return float(self.follow_up_model.predict_proba(self.pair_features([question], [previous]))[0][1])

    def probabilities(self, question: str, previous: str = "") -> dict[str, float]:
        row = self.model.predict_proba(self.features([question], [previous]))[0]
        return {label: float(p) for label, p in zip(self.labels, row)}

    def cross_validated(self, folds: int = 5) -> np.ndarray:
        """Out-of-fold probabilities for the original examples (what the answerability model trains on, so
        it does not learn from the intent model's overconfidence on its own training questions)."""
        x = self.features([e.question for e in self.examples], [e.previous for e in self.examples])
        y = np.array([e.intent for e in self.examples])
        splitter = StratifiedKFold(
            n_splits=min(folds, int(np.bincount(np.unique(y, return_inverse=True)[1]).min())),
            shuffle=True,
            random_state=0,
        )
        return cross_val_predict(
            LogisticRegression(C=self.model.C, max_iter=2000, class_weight="balanced"),
            x,
            y,
            cv=splitter,
            method="predict_proba",
        )
