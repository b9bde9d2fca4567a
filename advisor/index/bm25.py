"""The lexical half of the index: bm25s over the same Snowball stems the rest of the pipeline uses."""

from __future__ import annotations

import bm25s

from ..core.text import snowball_stemmer


def bm25_tokenize(texts: list[str]):
    return bm25s.tokenize(texts, stopwords="en", stemmer=snowball_stemmer(), show_progress=False)
