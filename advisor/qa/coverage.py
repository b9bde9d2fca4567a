"""Honest refusal: is the question covered by the corpus, judged from the evidence and the corpus's words."""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..core.settings import Settings
from ..core.stored import stored_arrays
from ..core.text import STOPWORDS, content_words, joined_compounds, stem, words_of, written_names
from ..core.types import Evidence, Passage

# Words every question about this corpus uses besides the stop words; they name no topic. ("whats", "hows": the
# contractions as people type them in a chat, without the apostrophe.)
QUESTION_WORDS = frozenset(
    """what which who whom whose why how when where does do did is are was were can could should would will shall may
might must tell explain describe say says list give name anyone someone something paper source sources role
roles whats whos hows wheres whys""".split()
)
# Words that frame a question rather than name its topic: that the corpus never uses "insist" or "basis"
# says nothing about whether it covers "why does OpenAI insist on ..." or "on what basis are ... evaluated".
FRAMING_WORDS = frozenset(
    """want wants wanted wanting wont wouldnt dont doesnt isnt arent cant need needs needed let lets letting insist
insists insisted suppose supposed expect expects expected consider considered count counts mean means meant
happen happens happened seem seems seemed signal signals sort kind kinds type types way ways thing things
stuff lot lots bit basis period fraction part parts point points reason reasons case cases sense ahead anyway
actually really basically generally usually typically exactly eventually currently nowadays today overall main
mainly mostly often ever still even also instead rather pretty quite good bad better best worse worst big
small huge tiny right wrong true false real okay sure like likely possible possibly probably guess think know
knows learn pick picking picked get gets getting got take takes taking look looking looks come comes coming
came go goes going went make makes making made keep keeps put puts resort resorting end ends ending day daily
gist nutshell tldr takeaway takeaways finding findings according""".split()
)


class Vocabulary:
    """The corpus's words (stemmed) and, for words a question uses that the corpus does not, a
    MiniLM neighbour check: 'doctorate' is covered by 'PhD' (cosine 0.85), 'salary' is not (0.52)."""

    def __init__(self, passages: Sequence[Passage], embedder, cache_file=None):
        words = sorted({w for p in passages for w in words_of(p.index_text) if len(w) > 2 and not w.isdigit()})
        df: dict[str, int] = {}
        for p in passages:
            for w in set(content_words(p.text)):
                df[w] = df.get(w, 0) + 1
        n = max(len(passages), 1)
        # Inverse document frequency of each stem: 'side' (rare) matters more than 'research' (everywhere).
        self.idf = {w: float(np.log(1 + n / c)) for w, c in df.items()}
        self.default_idf = float(np.log(1 + n))
        self.stems = frozenset(stem(w) for w in words) | frozenset(words)
        # "GPT-2" is also written "gpt2", "Megatron-LM" "MegatronLM"
        self.compounds = frozenset(c for p in passages for c in joined_compounds(p.index_text))
        self.words = words
        self._embedder = embedder
        self._cache_file = cache_file
        self._vectors: np.ndarray | None = None

    def vectors(self) -> np.ndarray:
        if self._vectors is None:
            key = hashlib.sha256("\n".join(self.words).encode()).hexdigest()
            stored = stored_arrays(self._cache_file, key, lambda: {"vectors": self._embedder.encode(self.words)})
            self._vectors = stored["vectors"]
        return self._vectors

    def spelled_like_known(self, word: str) -> bool:
        """A typo ("reserach") or a clipped form ("param", "infra") of a corpus word is that word."""
        if 4 <= len(word) < 8 and any(w.startswith(word) and len(w) > len(word) for w in self.words):
            return True
        return len(word) >= 6 and bool(difflib.get_close_matches(word, self.words, n=1, cutoff=0.85))

    def unknown_names(self, text: str) -> tuple[str, ...]:
        """The names the text writes ("Reflexion", "FSDP", "Netflix") that the corpus never has, in any
        spelling: a name is there or not, where a word may have a synonym (no neighbour check)."""

        def known(word: str) -> bool:
            word = word.lower()
            return len(word) < 3 or word in self.stems or stem(word) in self.stems or self.spelled_like_known(word)

        return tuple(
            name
            for name in written_names(text)
            if name.lower().replace("-", "") not in self.compounds
            and not all(known(part) for part in re.split(r"[-.+]", name) if part)
        )

    def unknown(self, words: Sequence[str], min_similarity: float) -> tuple[str, ...]:
        """The words with neither an exact (stemmed) match nor a close neighbour in the corpus."""
        candidates = [
            w for w in words if w not in self.stems and stem(w) not in self.stems and not self.spelled_like_known(w)
        ]
        if not candidates:
            return ()
        sims = self._embedder.encode(candidates) @ self.vectors().T
        return tuple(w for w, row in zip(candidates, sims) if float(row.max()) < min_similarity)


def focus_words(text: str) -> list[str]:
    """The words that name a topic: not stop, question or framing words, not numbers."""
    return [
        w
        for w in words_of(text)
        if w not in QUESTION_WORDS
        and w not in STOPWORDS
        and w.replace("'", "") not in FRAMING_WORDS
        and not w.isdigit()
        and len(w) > 2
    ]


@dataclass(frozen=True)
class Coverage:
    covered: bool
    best_similarity: float
    unknown_words: tuple[str, ...]
    reason: str


def assess_coverage(
    question: str, evidence: Sequence[Evidence], vocabulary: Vocabulary, settings: Settings
) -> Coverage:
    """Covered when the evidence is close enough to the question and no focus word of the
    question is absent from the whole corpus (a 'salary' question is not answered by passages
    about pay in general)."""
    best = max((e.ranks.get("dense_sim") or 0.0 for e in evidence), default=0.0)
    words = focus_words(question)
    unknown = vocabulary.unknown(list(dict.fromkeys(words)), settings.answer.coverage_word_similarity)
    if best < settings.answer.coverage_min_similarity:
        return Coverage(
            False, best, unknown, f"best passage similarity {best:.2f} < {settings.answer.coverage_min_similarity}"
        )
    if unknown and best < settings.answer.coverage_strong_similarity:
        return Coverage(False, best, unknown, f"the sources never mention: {', '.join(unknown)}")
    focus = {stem(w) for w in words}
    share = (
        max(
            (len(focus & {stem(w) for w in words_of(e.passage.index_text)}) / len(focus) for e in evidence[:5]),
            default=0.0,
        )
        if focus
        else 1.0
    )
    if share < settings.answer.coverage_min_word_share:
        return Coverage(False, best, unknown, f"no passage mentions most of the question's words ({share:.0%})")
    if ASKS_QUANTITY.search(question) and not any(re.search(r"\d", e.passage.text) for e in evidence[:3]):
        return Coverage(False, best, unknown, "the question asks for a quantity and no retrieved passage states one")
    return Coverage(True, best, unknown, "covered")


# A question that asks for an amount: the answer is a number ("how many GPUs", "what scale", "the salary")
ASKS_QUANTITY = re.compile(
    r"\b(how many|how much|how long|how often|how big|how large|what scale|what size|what percentage|"
    r"what proportion|what share|rate|salary|salaries|cost|price|number of|headcount)\b",
    re.I,
)
