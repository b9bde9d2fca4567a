"""The planner's labelled training data holds no near-copy of a question the evaluation sets score: a model fitted
on a paraphrase of a held-out question would flatter the held-out figures."""

from __future__ import annotations

import pytest

from advisor.agent.planner import training_file
from advisor.core.jsonl import load_jsonl
from advisor.grounding import encode_cached

from .conftest import ROOT

TRAINING = ("answerability.jsonl", "intents.jsonl", "followups.jsonl")
SCORED = (
    "benchmarks/sealed/answerability.jsonl",
    "benchmarks/sealed/questions.jsonl",
    "benchmarks/sealed/tools.jsonl",
    "benchmarks/sealed/conversations.jsonl",
    "benchmarks/final/questions.jsonl",
    "benchmarks/data/dev2_answerability.jsonl",
    "tests/answerability.jsonl",
)
# MiniLM cosine at which two questions are the same question reworded ("What MMLU score does Guanaco-65B get?" and
# "What MMLU score does Guanaco 65B get?" are 0.99); questions that only share a form ("what is reference 4?",
# "what is reference 11?") stay below it
NEAR_COPY = 0.9


def questions(path) -> list[str]:
    rows = load_jsonl(path)
    return [t["q"] for row in rows for t in row["turns"]] if rows and "turns" in rows[0] else [r["q"] for r in rows]


@pytest.mark.parametrize("name", TRAINING)
def test_no_training_question_is_a_near_copy_of_a_scored_one(embedder, name):
    scored = [q for path in SCORED for q in questions(ROOT / path)]
    training = questions(training_file(name))
    similarity = encode_cached(embedder, training) @ encode_cached(embedder, scored).T
    copies = int((similarity.max(axis=1) >= NEAR_COPY).sum())
    assert copies == 0, f"{copies} questions of {name} are near-copies of scored questions"
