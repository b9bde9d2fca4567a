"""`advisor` command line: a thin shell over the library. Every result command takes --json."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Iterator, Optional

import typer

from .settings import get_settings

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Continuum Advisor: cited answers about AI research and engineering roles.")
eval_app = typer.Typer(no_args_is_help=True, help="Measure retrieval, answers and role fit on a question set.")
app.add_typer(eval_app, name="eval")


def _err(message: str) -> None:
    typer.secho(message, err=True, fg=typer.colors.YELLOW)


def _fail(message: str, code: int = 2) -> None:
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    raise typer.Exit(code)


def _emit(obj) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def _batch_lines(path: Path) -> Iterator[tuple[int, dict | None, str | None]]:
    """(line number, parsed object or None, error or None) for each non-blank line."""
    if not path.exists():
        _fail(f"batch file {path} does not exist")
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
                if not isinstance(obj, dict):
                    raise ValueError("expected a JSON object")
                yield n, obj, None
            except ValueError as exc:
                yield n, None, f"{path}:{n}: malformed JSON line ({exc})"


def _store_errors():
    from .corpus import CorpusError
    from .store import StoreError

    return (CorpusError, StoreError)


@app.command()
def index(rebuild: bool = typer.Option(False, "--rebuild", help="Re-embed everything from scratch."),
          quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar.")) -> None:
    """Build or refresh the search index (incremental: only changed passages are embedded)."""
    from .store import build_index

    try:
        summary = build_index(get_settings(), rebuild=rebuild, progress=not quiet, notify=_err)
    except _store_errors() as exc:
        _fail(str(exc))
    typer.echo(summary.line())


@app.command()
def search(query: Optional[str] = typer.Argument(None, help="What to look for."),
           k: int = typer.Option(5, "-k", "--top-k", min=1, max=100, help="How many passages."),
           as_json: bool = typer.Option(False, "--json", help="Print JSON."),
           batch: Optional[Path] = typer.Option(None, "--batch", help='JSON Lines file of {"id", "q"}.'),
           expand: bool = typer.Option(False, "--expand", help="Add the sources that result passages cite.")) -> None:
    """Hybrid (BM25 + dense) search over the paper and its sources."""
    from .retrieve import QueryError, get_retriever, prepare_query

    settings = get_settings()
    if batch is None and query is None:
        _fail("give a QUERY or --batch FILE")
    try:
        retriever = get_retriever(settings, notify=_err)
    except _store_errors() as exc:
        _fail(str(exc))

    def run(q: str) -> tuple[list[dict], list[str]]:
        prepared = prepare_query(q, settings.max_query_chars)
        evidence = retriever.search(prepared.text, k)
        if expand:
            evidence = retriever.expand_citations(evidence, prepared.text)
        return [e.to_dict() for e in evidence], list(prepared.notices)

    if batch is not None:
        for n, obj, error in _batch_lines(batch):
            if error:
                _emit({"id": None, "line": n, "error": error, "results": []})
                continue
            try:
                results, notices = run(str(obj.get("q") or ""))
                out = {"id": obj.get("id"), "results": results}
                if notices:
                    out["notices"] = notices
            except QueryError as exc:
                out = {"id": obj.get("id"), "error": str(exc), "results": []}
            _emit(out)
        return
    try:
        results, notices = run(query)
    except QueryError as exc:
        _fail(str(exc))
    for notice in notices:
        _err(f"note: {notice}")
    if as_json:
        _emit(results)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(show_lines=True)
    for col in ("#", "score", "source", "section", "kind", "text"):
        table.add_column(col, overflow="fold")
    for i, r in enumerate(results, 1):
        table.add_row(str(i), f"{r['score']:.4f}", r["doc"], r["section"], r["kind"], r["text"][:400])
    Console().print(table)


@app.command()
def ask(question: Optional[str] = typer.Argument(None, help="Your question about AI research/engineering roles."),
        llm: Optional[str] = typer.Option(None, "--llm", help="local | openai:<model> | ollama:<model> | auto | none"),
        as_json: bool = typer.Option(False, "--json", help="Print JSON."),
        batch: Optional[Path] = typer.Option(None, "--batch", help='JSON Lines file of {"id", "q"}.')) -> None:
    """A cited answer: every sentence carries [n] citations verified against the passages."""
    from .answer import QuestionError, get_engine

    if batch is None and question is None:
        _fail("give a QUESTION or --batch FILE")
    try:
        engine = get_engine(llm, get_settings())
    except _store_errors() as exc:
        _fail(str(exc))
    if batch is not None:
        for n, obj, error in _batch_lines(batch):
            if error:
                _emit({"id": None, "line": n, "error": error})
                continue
            try:
                _emit({"id": obj.get("id"), **engine.ask(str(obj.get("q") or "")).to_dict()})
            except QuestionError as exc:
                _emit({"id": obj.get("id"), "error": str(exc)})
        return
    try:
        answer = engine.ask(question)
    except QuestionError as exc:
        _fail(str(exc))
    if as_json:
        _emit(answer.to_dict())
        return
    for notice in answer.notices:
        _err(f"note: {notice}")
    typer.echo(answer.answer)
    typer.echo("")
    for citation in answer.citations:
        p = citation.evidence.passage
        where = f"paper §{p.section} {p.section_title}" if p.doc == "paper" else f"[{p.doc[4:]}] {p.title}"
        typer.echo(f"[{citation.n}] {where}: {p.text[:200]}")
    for ev in answer.related:
        typer.echo(f"related: {ev.passage.doc} §{ev.passage.section}: {ev.passage.text[:160]}")
    typer.secho(f"({answer.mode}, backend {answer.backend})", fg=typer.colors.BRIGHT_BLACK)


@eval_app.command("answers")
def eval_answers(set_path: Path = typer.Option(..., "--set", help="JSON Lines with 'q' and 'facts'."),
                 refusal_set: Path = typer.Option(Path("tests/answerability.jsonl"), "--refusal-set",
                                                  help="JSON Lines with 'q' and 'covered' true/false."),
                 llm: Optional[str] = typer.Option(None, "--llm", help="Backend spec (default: auto)."),
                 as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Fact accuracy, citation precision/recall (ALCE-style), refusal accuracy and latency."""
    from .evaluate import evaluate_answers

    for path in (set_path, refusal_set):
        if not path.exists():
            _fail(f"question set {path} does not exist")
    try:
        result = evaluate_answers(set_path, refusal_set, llm, get_settings())
    except (ValueError, *_store_errors()) as exc:
        _fail(str(exc))
    if as_json:
        _emit(result)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Answers ({result['backend']})")
    table.add_column("metric")
    table.add_column("value")
    for key, value in result.items():
        if not isinstance(value, (list, dict)):
            table.add_row(key, f"{value:.3f}" if isinstance(value, float) else str(value))
    Console().print(table)


@eval_app.command("retrieval")
def eval_retrieval(set_path: Path = typer.Option(..., "--set", help="JSON Lines with 'q' and 'gold'."),
                   as_json: bool = typer.Option(False, "--json", help="Print JSON."),
                   baseline: bool = typer.Option(True, "--baseline/--no-baseline",
                                                 help="Also score the naive 1000/200 dense baseline.")) -> None:
    """Recall@1/3/5/10 and MRR for the hybrid retriever and a naive baseline."""
    from .evaluate import evaluate_retrieval

    if not set_path.exists():
        _fail(f"question set {set_path} does not exist")
    try:
        result = evaluate_retrieval(set_path, get_settings(), baseline=baseline)
    except (ValueError, *_store_errors()) as exc:
        _fail(str(exc))
    if as_json:
        _emit(result)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Retrieval on {set_path.name} ({result['questions']} questions)")
    for col in ("retriever", "R@1", "R@3", "R@5", "R@10", "MRR", "misses@5"):
        table.add_column(col)
    for key in ("ours", "baseline"):
        if key in result:
            r = result[key]
            table.add_row(r["name"], *(f"{r[f'recall@{k}']:.2f}" for k in (1, 3, 5, 10)), f"{r['mrr']:.3f}",
                          ", ".join(r["misses"]) or "-")
    Console().print(table)
    if result.get("recall@5_ratio"):
        typer.echo(f"Recall@5 ratio ours/baseline: {result['recall@5_ratio']:.2f}")


@app.command()
def serve(host: Optional[str] = typer.Option(None, "--host",
                                             help="Interface to listen on (default 127.0.0.1: this machine only)."),
          port: Optional[int] = typer.Option(None, "--port", min=1, max=65535, help="Port (default 7860).")) -> None:
    """Serve the web app (chat, role fit, evidence explorer). Builds the index first if it is missing.
    Never creates a public share link."""
    from .store import ensure_index

    settings = get_settings()
    try:
        ensure_index(settings, notify=_err)
    except _store_errors() as exc:
        _fail(str(exc))
    from ui.app import serve as serve_app

    serve_app(settings, host=host or settings.ui_host, port=port or settings.ui_port)


def main() -> None:  # pragma: no cover - console entry point
    app()
