"""Answerability: "not covered" decided by a calibrated model over what retrieval and the tools found, fitted
on labelled covered and uncovered questions — never by one word of the question being absent.

Features: the best and top-3 dense similarity, the best BM25 score, the IDF-weighted share of the question's
content words the best passages hold, the share of its words the corpus has no near neighbour for, whether it
names something the corpus never does ("Reflexion", "FSDP", "Netflix"), whether it asks for a quantity no
retrieved passage states, the intent probabilities, the strength of the tool result, and a text prior: a
logistic regression over the question's MiniLM vector and its TF-IDF words fitted on the same labels (stacked out
of fold, so it learns what kind of question the corpus answers, e.g. head counts and pay it never does). A
logistic regression on standardised features gives P(covered); below a threshold the advisor says the sources do
not cover the question.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from ..core.text import STOPWORDS, content_words, stem, words_of
from ..core.types import Evidence
from ..qa import ASKS_QUANTITY, QUESTION_WORDS, Vocabulary
from .planner import INTENTS, question_words

FEATURES = (
    "best_dense",
    "top3_dense",
    "best_bm25",
    "word_share",
    "unknown_share",
    "unknown_name",
    "quantity_unstated",
    "tool_strength",
    *(f"p_{intent}" for intent in INTENTS),
    "text_prior",
)


# "how many GPUs", "the number of openings": what the question counts
_COUNTED = re.compile(r"\b(?:how many|number of)\s+(?:the\s+)?([a-z][\w-]*)(?:\s+([a-z][\w-]*))?", re.I)
_AFTER_NUMBER = re.compile(r"\d[\d,.]*[%x×]?((?:\s+[A-Za-z][\w-]*){1,3})")  # a number ("3.3x") and three words


def states_quantity(question: str, evidence: Sequence[Evidence], depth: int = 5) -> bool:
    """Whether the best passages state what the question asks to count: a number just before the counted
    word ("512 GPUs" for "on how many GPUs?", "1,000 small models"); for other quantities ("how much", "what
    percentage") any number in the best three. A passage full of other numbers does not answer "how many
    people work there?"."""
    counted = _COUNTED.search(question)
    if counted is None:
        return any(re.search(r"\d", e.passage.text) for e in evidence[:3])
    # the counted word or the one after it ("how many more items": "more" or "items")
    units = {stem(w.lower()) for w in counted.groups() if w}
    return any(
        units & {stem(w.lower()) for w in m.group(1).split()}
        for e in evidence[:depth]
        for m in _AFTER_NUMBER.finditer(e.passage.text)
    )


def features(
    question: str,
    evidence: Sequence[Evidence],
    vocabulary: Vocabulary,
    intents: Mapping[str, float],
    tool_strength: float,
    word_similarity: float,
    asked: str = "",
) -> np.ndarray:
    """The answerability features of a question (a follow-up: condensed with the one before it). `asked`: a
    follow-up's own words, which alone say whether it asks a quantity ("and what scaling efficiency did they
    get?" after "how many GPUs did they train on?" asks none; the count was the previous turn's)."""
    dense = sorted((e.ranks.get("dense_sim") or 0.0 for e in evidence), reverse=True)
    bm25 = max((e.ranks.get("bm25_score") or 0.0 for e in evidence), default=0.0)
    words = [
        w
        for w in dict.fromkeys(words_of(question))
        if w not in STOPWORDS and w not in QUESTION_WORDS and len(w) > 2 and not w.isdigit()
    ]
    focus = {stem(w) for w in content_words(question)} - {stem(w) for w in QUESTION_WORDS}
    weights = {w: vocabulary.idf.get(w, vocabulary.default_idf) for w in focus}
    total = sum(weights.values()) or 1.0
    share = (
        max(
            (
                sum(weights[w] for w in focus & {stem(x) for x in words_of(e.passage.index_text)}) / total
                for e in evidence[:5]
            ),
            default=0.0,
        )
        if focus
        else 1.0
    )
    unknown = len(vocabulary.unknown(words, word_similarity)) / len(words) if words else 0.0
    own = asked or question
    quantity = float(bool(ASKS_QUANTITY.search(own)) and not states_quantity(own, evidence))
    return np.array(
        [
            dense[0] if dense else 0.0,
            float(np.mean(dense[:3])) if dense else 0.0,
            float(np.log1p(bm25)),
            share,
            unknown,
            float(bool(vocabulary.unknown_names(question))),
            quantity,
            tool_strength,
            *(intents.get(intent, 0.0) for intent in INTENTS),
        ],
        dtype=float,
    )


def _text_features(vectors: np.ndarray, words, questions: Sequence[str]) -> sparse.csr_matrix:
    return sparse.hstack([sparse.csr_matrix(vectors), words.transform(list(questions))]).tocsr()


@dataclass
class AnswerabilityModel:
    pipeline: object
    text_model: object
    words: object  # the TF-IDF vocabulary of the training questions
    threshold: float

    @staticmethod
    def _models(text_regularization: float) -> tuple[LogisticRegression, object]:
        """The text prior's model and the main pipeline, unfitted."""
        text_model = LogisticRegression(C=text_regularization, max_iter=2000, class_weight="balanced")
        pipeline = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000, class_weight="balanced"))
        return text_model, pipeline

    @staticmethod
    def _with_prior(x, y, text, text_model, folds) -> np.ndarray:
        """The training rows with the text prior beside them, predicted out of fold."""
        prior = cross_val_predict(clone(text_model), text, y, cv=folds, method="predict_proba")[:, 1]
        return np.column_stack([x, prior])

    @classmethod
    def calibrated_threshold(
        cls,
        x: np.ndarray,
        y: np.ndarray,
        vectors: np.ndarray,
        questions: Sequence[str],
        max_false_refusals: float,
        text_regularization: float = 1.0,
        splits: int = 10,
    ) -> float:
        """The highest threshold that refuses at most `max_false_refusals` of the covered training questions out
        of fold (a refused covered question costs the user more than an answered off-topic one, which still cites
        only what it quotes). That quantile of a few hundred probabilities moves with the split (0.07-0.11 over
        ten splits): the median over `splits` splits is the calibration, not whichever one split happened to give.
        A few seconds of work: the caller stores it beside the training rows."""
        text = _text_features(vectors, question_words().fit(list(questions)), questions)
        text_model, pipeline = cls._models(text_regularization)
        quantiles = []
        for seed in range(splits):
            folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=seed)
            rows = cls._with_prior(x, y, text, text_model, folds)
            oof = cross_val_predict(clone(pipeline), rows, y, cv=folds, method="predict_proba")[:, 1]
            covered = np.sort(oof[y == 1])
            quantiles.append(float(covered[int(np.floor(max_false_refusals * len(covered)))]) if len(covered) else 0.5)
        return float(np.median(quantiles))

    @classmethod
    def fit(
        cls,
        x: np.ndarray,
        y: np.ndarray,
        vectors: np.ndarray,
        questions: Sequence[str],
        threshold: float | None,
        max_false_refusals: float,
        text_regularization: float = 1.0,
        splits: int = 10,
    ) -> AnswerabilityModel:
        """Fit P(covered). The text prior is fitted on the questions' vectors and enters the training rows out of
        fold (so the main model cannot lean on its memory of them). The threshold, unless given, is calibrated
        (`calibrated_threshold`)."""
        words = question_words().fit(list(questions))
        text = _text_features(vectors, words, questions)
        text_model, pipeline = cls._models(text_regularization)
        rows = cls._with_prior(x, y, text, text_model, StratifiedKFold(n_splits=5, shuffle=True, random_state=0))
        text_model.fit(text, y)
        pipeline.fit(rows, y)
        if threshold is None:
            threshold = cls.calibrated_threshold(
                x, y, vectors, questions, max_false_refusals, text_regularization, splits
            )
        return cls(pipeline, text_model, words, threshold)

    def probability(self, row: np.ndarray, vector: np.ndarray, question: str) -> float:
        prior = self.text_model.predict_proba(_text_features(vector.reshape(1, -1), self.words, [question]))[0][1]
        return float(self.pipeline.predict_proba(np.append(row, prior).reshape(1, -1))[0][1])

    def weights(self) -> dict[str, float]:
        """Standardised coefficients by feature name (for the README and the trace)."""
        coefs = self.pipeline[-1].coef_[0]
        return {name: round(float(c), 3) for name, c in zip(FEATURES, coefs)}
