"""Produce corpus/paper.md from the extracted paper text, repairing extraction damage only.

Run: python tools/repair_paper.py ../shared/corpus/paper/ai-roles-continuum.md corpus/paper.md

Repairs (no words are added or dropped; tests/test_corpus.py checks the word multiset):
- bullets whose opening bold marker was lost ("- Research Engineer (RE):**") get it back;
- the one "###" section heading becomes "##" like its siblings;
- whitespace-only lines left by page breaks are emptied, runs of blank lines collapse to one;
- a paragraph that a page break or a floating figure caption cut in two is joined again, and the
  caption is moved to just after the paragraph it interrupted;
- Table 1 (tab-separated in the extraction) becomes a Markdown pipe table, cell text unchanged.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

CAPTION = re.compile(r"^\*\*(Fig\.|Table) \d+")
BLOCK_START = re.compile(r"^(#|- |\*\*|\||\*[A-Z])")


def _continues(previous: str, block: str) -> bool:
    """True when a page break cut a sentence: the block starts in lower case or with "(",
    or the previous block stopped at a comma or semicolon."""
    if BLOCK_START.match(block):
        return False
    return bool(re.match(r"^[a-z(]", block)) or previous.rstrip().endswith((",", ";"))


def repair(text: str) -> str:
    text = text.replace("\r\n", "\n")
    text = re.sub(r"(?m)^- (Research Engineer \(RE\)|Applied Scientist / Applied Researcher):\*\*", r"- **\1:**", text)
    text = re.sub(r"(?m)^### (\d+ )", r"## \1", text)
    text = re.sub(r"(?m)^[ \t]+$", "", text)
    blocks = [b.strip("\n") for b in re.split(r"\n\s*\n", text.strip()) if b.strip()]

    out: list[str] = []
    pending_captions: list[str] = []
    for block in blocks:
        if CAPTION.match(block) and not block.startswith("**Table"):
            pending_captions.append(block)
            continue
        if out and not previous_was_heading(out[-1]) and _continues(out[-1], block):
            out[-1] = out[-1].rstrip() + " " + block.lstrip()
            continue
        out.extend(pending_captions)
        pending_captions = []
        out.append(block)
    out.extend(pending_captions)
    return "\n\n".join(_table_to_markdown(b) for b in out) + "\n"


def previous_was_heading(block: str) -> bool:
    return block.startswith("#")


def _table_to_markdown(block: str) -> str:
    lines = block.split("\n")
    if not all("\t" in line for line in lines):
        return block
    rows = [[cell.strip() for cell in line.split("\t")] for line in lines]
    header, body = rows[0], rows[1:]
    md = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    md += ["| " + " | ".join(row) + " |" for row in body]
    return "\n".join(md)


def main(argv: list[str]) -> int:
    src, dst = Path(argv[1]), Path(argv[2])
    dst.write_text(repair(src.read_text(encoding="utf-8")), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
