"""Index build time: from scratch and unchanged (median of 5 runs each), in a temporary index dir.

Targets (issue 2): from scratch <= 30 s on 2 cores; re-index of an unchanged corpus <= 2 s.
Run: .venv/bin/python benchmarks/bench_index.py [--runs 5]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _util import median, p, print_table  # noqa: E402

from advisor.core.settings import Settings  # noqa: E402
from advisor.index import build_index  # noqa: E402
from advisor.index.embeddings import get_embedder  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-index-"))
    try:
        get_embedder(Settings())  # model load is process start-up, not indexing
        scratch, unchanged, counts = [], [], None
        for run in range(args.runs):
            s = Settings(index_dir=root / f"run{run}", chroma_url=None)
            summary = build_index(s, progress=False, notify=lambda m: None)
            scratch.append(summary.seconds)
            counts = summary
            again = build_index(s, progress=False, notify=lambda m: None)
            assert again.embedded == 0
            unchanged.append(again.seconds)
        rows = [
            ["from scratch", counts.passages, median(scratch), p(scratch, 95), 30.0],
            ["unchanged corpus", counts.passages, median(unchanged), p(unchanged, 95), 2.0],
        ]
        print_table(
            f"Index build ({args.runs} runs, seconds)", ["case", "passages", "median s", "p95 s", "target s"], rows
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
