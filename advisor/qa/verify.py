"""Verification: a drafted sentence survives only if the passages it cites support it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from ..core.settings import Settings
from ..core.text import normalize_ws
from ..core.types import Claim, Evidence, Origin, Passage
from ..grounding import encode_cached, passage_sentences, score_support, split_claims
from .coverage import Vocabulary, focus_words
from .draft import is_instruction_like


@dataclass(frozen=True)
class Verified:
    claims: list[Claim]  # kept sentences, citations in the numbering of `evidence`
    total: int  # drafted sentences
    dropped: list[str]


def verify_draft(
    draft: str, evidence: Sequence[Evidence], embedder, settings: Settings, vocabulary: Vocabulary | None = None
) -> Verified:
    """Keep a drafted sentence only if the passages it cites support it. Markers that point at no
    passage are removed; a sentence without a (valid) marker may keep the one passage that supports it.
    With the corpus `vocabulary`, a sentence naming something the sources never mention ("rockets") is
    dropped however close it reads to a passage."""
    kept: list[Claim] = []
    dropped: list[str] = []
    sentences = [s for s in split_claims(_strip_echoed_labels(draft)) if not _is_refusal_sentence(s.text)]
    seen: set[str] = set()
    for sentence in sentences[: settings.answer.max_sentences * 2]:
        key = normalize_ws(re.sub(r"[^\w\s]", "", sentence.text))
        if key in seen:  # small models repeat themselves; a repeated sentence is dropped, not re-shown
            dropped.append(sentence.text)
            continue
        seen.add(key)
        if is_instruction_like(sentence.text) or (
            vocabulary is not None
            and vocabulary.unknown(focus_words(sentence.text), settings.answer.coverage_word_similarity)
        ):
            dropped.append(sentence.text)
            continue
        # Each citation must stand on its own: a marker stays only if its passage alone supports the
        # sentence (markers to passages that do not exist are simply gone). A sentence with no valid
        # marker may keep the single retrieved passage that supports it best.
        valid = tuple(n for n in sentence.citations if 1 <= n <= len(evidence))
        candidates = valid or tuple(range(1, len(evidence) + 1))
        scored = [
            (n, score_support(sentence.text, [_clean_passage(evidence[n - 1].passage)], embedder, settings))
            for n in candidates
        ]
        supporting = [(n, sup) for n, sup in scored if sup.supported]
        if not supporting:
            dropped.append(sentence.text)
            continue
        if not valid:
            supporting = [max(supporting, key=lambda item: item[1].score)]
        kept.append(
            Claim(
                sentence.text,
                tuple(n for n, _ in supporting),
                max(sup.score for _, sup in supporting),
                True,
                Origin.DRAFT,
            )
        )
        if len(kept) >= settings.answer.max_sentences:
            break
    return Verified(kept, len(sentences), dropped)


def _strip_echoed_labels(draft: str) -> str:
    """Small models echo the passage list ("[1] (source [1]) Every paper…"); keep the words, move
    a leading marker to the end of its line so it still cites."""
    lines = []
    for line in draft.splitlines():
        line = re.sub(r"^\s*(?:[-*]|\d+\.)\s+", "", line)
        lead = re.match(r"^\s*(\[\d+\])\s*(?:\((?:source|paper)[^)]*\)\s*)?(.*)$", line)
        if lead and lead.group(2):
            line = f"{lead.group(2).rstrip()} {lead.group(1)}"
        lines.append(re.sub(r"\((?:source|paper)\s*(?:§|\[)?[\w\s.\]]*\)\s*", "", line))
    return "\n".join(lines)


def non_redundant(
    claims: Sequence[Claim], already: Sequence[Claim], embedder, max_similarity: float = 0.85
) -> list[Claim]:
    """Claims that do not restate one already shown (cosine below max_similarity)."""
    if not already or not claims:
        return list(claims)
    vectors = encode_cached(embedder, [c.text.strip("“”") for c in already] + [c.text for c in claims])
    shown, new = vectors[: len(already)], vectors[len(already) :]
    return [c for c, v in zip(claims, new) if float((shown @ v).max()) < max_similarity]


def _is_refusal_sentence(text: str) -> bool:
    return bool(re.search(r"sources do not cover|cannot answer|can't answer|no information", text, re.I))


def _clean_passage(passage: Passage) -> Passage:
    """A passage with instruction-like sentences blanked, so injected text can never count as support."""
    if not is_instruction_like(passage.text):
        return passage
    text = " ".join(s for s in passage_sentences(passage) if not is_instruction_like(s))
    return replace(passage, text=text)
