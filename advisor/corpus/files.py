"""The corpus files: their names, reading them as UTF-8, and the error that names file and line."""

from __future__ import annotations

from pathlib import Path

PAPER_FILE = "paper.md"
REFERENCES_FILE = "references.json"
PAPER_TITLE = "The AI Roles Continuum: Blurring the Boundary Between Research and Engineering"
PAPER_URL = "corpus/paper.md"
VALID_REFS = range(1, 33)

TABLE_ROLES = ("Research Scientist", "Research Engineer", "Applied Scientist", "ML Engineer")


class CorpusError(ValueError):
    """A corpus file is missing or malformed; the message names the file and line."""


def line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def read_text(path: Path) -> str:
    if not path.exists():
        raise CorpusError(f"{path}: file is missing")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        line = line_of(path.read_bytes()[: exc.start].decode("utf-8", "replace"), exc.start)
        raise CorpusError(f"{path}:{line}: not valid UTF-8 ({exc.reason})") from exc


def corpus_files(corpus_dir: Path) -> list[Path]:
    """The files that make up the corpus (for fingerprints)."""
    corpus_dir = Path(corpus_dir)
    files = [corpus_dir / PAPER_FILE, corpus_dir / REFERENCES_FILE]
    files += sorted((corpus_dir / "sources").glob("*.md"))
    return files
