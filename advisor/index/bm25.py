"""The lexical half of the index: bm25s over the same Snowball stems the rest of the pipeline uses."""

from __future__ import annotations

import bm25s

from ..core.text import joined_compounds, snowball_stemmer


def bm25_tokenize(texts: list[str]):
    """Snowball stems of the words, plus each hyphenated compound as one word, so "T-shaped" finds the
    passage that says "T-shaped" rather than every passage with "shape" in it."""
    with_compounds = [" ".join([text, *joined_compounds(text)]) for text in texts]
    return bm25s.tokenize(with_compounds, stopwords="en", stemmer=snowball_stemmer(), show_progress=False)
