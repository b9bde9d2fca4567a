"""Stage 1: the corpus files -> Passage[] with exact offsets."""

from .files import (PAPER_FILE, PAPER_TITLE, PAPER_URL, REFERENCES_FILE, TABLE_ROLES, VALID_REFS, CorpusError,
                    corpus_files, line_of, read_text)
from .markdown import Block, markdown_blocks, sentence_windows
from .passages import load_corpus, parse_paper, parse_source, reference_only_passage, source_ref
from .references import Reference, attribution, author_phrase, load_references

__all__ = ["PAPER_FILE", "PAPER_TITLE", "PAPER_URL", "REFERENCES_FILE", "TABLE_ROLES", "VALID_REFS", "Block",
           "CorpusError", "Reference", "attribution", "author_phrase", "corpus_files", "line_of", "load_corpus", "load_references",
           "markdown_blocks", "parse_paper", "parse_source", "read_text", "reference_only_passage", "source_ref",
           "sentence_windows"]
