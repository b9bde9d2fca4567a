"""Where the facts of the missed turns are: a developer's diagnostic over dev conversation sets (never the
sealed or final ones). For every expected fact an answer lacks, it says how far the pipeline got:

  in a cited passage      the passage was cited, another of its sentences was quoted (sentence ranking)
  in a neighbour window   the next or previous window of a cited paragraph holds it (the window cut)
  in a returned passage   a tool returned the passage, the answer did not cite it (ranking, composition)
  elsewhere in the corpus no tool returned it (tool choice, retrieval, the reading of the request)
  not in the corpus       the set's fact is worded differently from every passage
and counts off-topic turns that were answered instead of refused.

Run: .venv/bin/python tools/fact_misses.py [--list] [SET ...]   (default: every benchmarks/data conversation set)
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from rich.console import Console
from rich.table import Table

from advisor.chat import get_engine
from advisor.core.jsonl import load_jsonl
from advisor.core.settings import PROJECT_ROOT, get_settings
from advisor.core.types import Answer, Mode, Passage

KINDS = (
    "in a cited passage",
    "in a neighbour window",
    "in a returned passage",
    "elsewhere in the corpus",
    "not in the corpus",
    "off-topic answered",
)


def where(group: list[str], answer: Answer, by_id: dict[str, Passage], retriever) -> str:
    def holds(passages) -> bool:
        return any(alt.lower() in p.text.lower() for p in passages for alt in group)

    cited = [c.evidence.passage for c in answer.citations]
    returned = [by_id[pid] for step in answer.steps for pid in step.passages if pid in by_id]
    if holds(cited):
        return KINDS[0]
    if holds(n for p in cited for n in retriever.adjacent_windows(p)):
        return KINDS[1]
    if holds(returned):
        return KINDS[2]
    return KINDS[3] if holds(by_id.values()) else KINDS[4]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sets", nargs="*", type=Path)
    parser.add_argument("--list", action="store_true", help="print each missed fact with its turn")
    args = parser.parse_args()
    sets = args.sets or sorted((PROJECT_ROOT / "benchmarks" / "data").glob("*conversations.jsonl"))
    engine = get_engine("none", get_settings(), wait_for_audit=True)
    by_id = {p.id: p for p in engine.answers.retriever.index.passages}
    counts: dict[str, Counter] = {}
    for path in sets:
        tally = counts.setdefault(path.name, Counter())
        for conversation in load_jsonl(path):
            turns = conversation["turns"]
            for i, (turn, answer) in enumerate(zip(turns, engine.converse([t["q"] for t in turns]))):
                facts = turn.get("facts") or []
                if not facts and answer.mode != Mode.NOT_COVERED:
                    tally[KINDS[5]] += 1
                    if args.list:
                        print(f"{conversation['id']}#{i}  {KINDS[5]}  {turn['q']}")
                for group in facts:
                    if any(alt.lower() in answer.answer.lower() for alt in group):
                        continue
                    kind = where(group, answer, by_id, engine.answers.retriever)
                    tally[kind] += 1
                    if args.list:
                        print(f"{conversation['id']}#{i}  {kind}  {turn['q']}  {group[:2]}")
    table = Table(title="Missed facts: where they are (dev conversation sets, --llm none)")
    for column in ("set", "cited passage", "neighbour window", "returned", "elsewhere", "not in corpus", "off-topic"):
        table.add_column(column)
    total = sum(counts.values(), Counter())
    for name, tally in [*counts.items(), ("all", total)]:
        table.add_row(name.removesuffix("_conversations.jsonl"), *(str(tally[k]) for k in KINDS))
    Console().print(table)


if __name__ == "__main__":
    main()
