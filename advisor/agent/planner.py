"""The offline planner's intent model: which tool answers a question, learned from labelled questions.

Features are the MiniLM vector of the question and of the previous user question (zero when there is none),
so "Does it support the paper's claim?" after "What is reference 4?" reads as a claim check. A logistic
regression (scikit-learn) over them gives calibrated-enough probabilities, which the answerability model
uses as features in turn. Trained on advisor/agent/data/intents.jsonl; the held-out sets are never used.
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
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from ..core.jsonl import load_jsonl
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


def training_file(name: str) -> Path:
    return Path(str(resources.files("advisor.agent") / "data" / name))


@dataclass(frozen=True)
class Example:
    question: str
    intent: str
    previous: str = ""


def load_examples(path: Path | None = None) -> list[Example]:
    return list(_examples(path or training_file("intents.jsonl")))


@lru_cache(maxsize=4)
def _examples(path: Path) -> tuple[Example, ...]:
    rows = load_jsonl(path)
    return tuple(
        Example(str(r["q"]), str(r["intent"]), str(r.get("prev") or "")) for r in rows if r.get("intent") in INTENTS
    )


def data_key(examples: Sequence[Example], model_name: str) -> str:
    payload = json.dumps([[e.question, e.intent, e.previous] for e in examples] + [model_name])
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
            Example(e.question, e.intent, standalone[int(rng.integers(len(standalone)))].question) for e in standalone
        ]
        self._x = self.features([e.question for e in augmented], [e.previous for e in augmented])
        self._y = np.array([e.intent for e in augmented])
        self.model = LogisticRegression(C=regularization, max_iter=2000, class_weight="balanced")
        self.model.fit(self._x, self._y)
        self.labels = tuple(str(c) for c in self.model.classes_)

    def features(self, questions: Sequence[str], previous: Sequence[str]) -> np.ndarray:
        texts = list(questions) + [p for p in previous if p]
        vectors = encode_cached(self.embedder, texts) if texts else np.zeros((0, 384))
        q = vectors[: len(questions)]
        lookup = dict(zip([p for p in previous if p], vectors[len(questions) :]))
        dims = q.shape[1] if len(q) else 384
        prev = np.vstack([lookup[p] if p else np.zeros(dims, np.float32) for p in previous]) if previous else q * 0
        return np.hstack([q, 0.5 * prev])

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
