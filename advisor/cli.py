"""`advisor` command line: a thin shell over the library. Every result command takes --json.

The library is imported inside each command, not at the top: `advisor --help` must not pay the seconds
that loading torch, Chroma and llama.cpp costs.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import typer

from .core.jsonl import JsonlError, iter_jsonl
from .core.settings import get_settings

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Continuum Advisor: cited answers about AI research and engineering roles.",
)
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
    try:
        yield from iter_jsonl(path)
    except JsonlError as exc:
        _fail(f"batch file {exc}")


def _store_errors():
    from .corpus import CorpusError
    from .index import StoreError

    return (CorpusError, StoreError)


@app.command()
def index(
    rebuild: bool = typer.Option(False, "--rebuild", help="Re-embed everything from scratch."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Build or refresh the search index (incremental: only changed passages are embedded)."""
    from .index import build_index

    try:
        summary = build_index(get_settings(), rebuild=rebuild, progress=not quiet, notify=_err)
    except _store_errors() as exc:
        _fail(str(exc))
    typer.echo(summary.line())


@app.command()
def search(
    query: str | None = typer.Argument(None, help="What to look for."),
    k: int = typer.Option(5, "-k", "--top-k", min=1, max=100, help="How many passages."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    batch: Path | None = typer.Option(None, "--batch", help='JSON Lines file of {"id", "q"}.'),
    expand: bool = typer.Option(False, "--expand", help="Add the sources that result passages cite."),
) -> None:
    """Hybrid (BM25 + dense) search over the paper and its sources."""
    from .core.text import InputError
    from .retrieval import get_retriever, prepare_query

    settings = get_settings()
    if batch is None and query is None:
        _fail("give a QUERY or --batch FILE")
    try:
        retriever = get_retriever(settings, notify=_err)
    except _store_errors() as exc:
        _fail(str(exc))

    def run(q: str) -> tuple[list[dict], list[str]]:
        text, notices = prepare_query(q, settings.retrieval.max_query_chars)
        evidence = retriever.search(text, k)
        if expand:
            evidence = retriever.expand_citations(evidence, text)
        return [e.to_dict() for e in evidence], list(notices)

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
            except (InputError, *_store_errors()) as exc:
                out = {"id": obj.get("id"), "error": str(exc), "results": []}
            _emit(out)
        return
    try:
        results, notices = run(query)
    except (InputError, *_store_errors()) as exc:
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
def ask(
    question: str | None = typer.Argument(None, help="Your question about AI research/engineering roles."),
    llm: str | None = typer.Option(None, "--llm", help="local | openai:<model> | ollama:<model> | auto | none"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    batch: Path | None = typer.Option(
        None, "--batch", help='JSON Lines file of {"id", "q"} or conversations {"id", "turns": [{"q"}, ...]}.'
    ),
    trace: bool = typer.Option(False, "--trace", help="Print the plan: tools called, arguments, timings (stderr)."),
) -> None:
    """A cited answer: every sentence carries [n] citations verified against the passages."""
    from .chat import get_engine
    from .core.text import InputError

    if batch is None and question is None:
        _fail("give a QUESTION or --batch FILE")
    try:
        # one-shot: attach citation verdicts (computed once per index, then cached)
        engine = get_engine(llm, get_settings(), wait_for_audit=True)
    except _store_errors() as exc:
        _fail(str(exc))
    if batch is not None:
        for n, obj, error in _batch_lines(batch):
            if error:
                _emit({"id": None, "line": n, "error": error})
                continue
            turns = obj.get("turns")
            try:
                if isinstance(turns, list):
                    questions = [str(t.get("q") or "") if isinstance(t, dict) else str(t) for t in turns]
                    for i, answer in enumerate(engine.converse(questions)):
                        _emit({"id": obj.get("id"), "turn": i, **answer.to_dict()})
                else:
                    _emit({"id": obj.get("id"), **engine.ask(str(obj.get("q") or "")).to_dict()})
            except (InputError, *_store_errors()) as exc:
                _emit({"id": obj.get("id"), "error": str(exc)})
        return
    try:
        answer = engine.ask(question)
    except (InputError, *_store_errors()) as exc:
        _fail(str(exc))
    if trace:
        _print_trace(answer)
    if as_json:
        _emit(answer.to_dict())
        return
    _print_answer(answer)


def _print_trace(answer) -> None:
    from .agent import describe_arguments
    from .llm import prompts

    for step in answer.steps:
        arguments = describe_arguments(step.arguments, limit=None)
        _err(prompts.STEP_LINE.format(tool=step.tool, arguments=arguments, result=step.result, ms=step.ms))
    _err(f"policy {answer.policy or '-'}, intent {answer.intent or '-'}, mode {answer.mode}")


def _print_answer(answer) -> None:
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


@app.command()
def chat(
    llm: str | None = typer.Option(None, "--llm", help="local | openai:<model> | ollama:<model> | auto | none"),
    trace: bool = typer.Option(False, "--trace", help="Print each answer's plan (stderr)."),
) -> None:
    """The conversation in the terminal: follow-ups resolve through the earlier turns. /reset starts over,
    /quit (or Ctrl-D) leaves."""
    from .agent import turn_metadata
    from .chat import get_engine
    from .core.text import InputError

    try:
        engine = get_engine(llm, get_settings(), wait_for_audit=True)
    except _store_errors() as exc:
        _fail(str(exc))
    history: list[dict] = []
    typer.secho("Ask about AI research and engineering roles (/reset, /quit).", fg=typer.colors.BRIGHT_BLACK)
    while True:
        try:
            question = input("you> ")
        except (EOFError, KeyboardInterrupt):
            typer.echo("")
            return
        if question.strip() in ("/quit", "/exit"):
            return
        if question.strip() == "/reset":
            history = []
            continue
        try:
            answer = engine.ask(question, history)
        except (InputError, *_store_errors()) as exc:
            _err(f"error: {exc}")
            continue
        if trace:
            _print_trace(answer)
        _print_answer(answer)
        history += [
            {"role": "user", "content": question},
            {"role": "assistant", "content": answer.answer, "metadata": turn_metadata(answer)},
        ]


@eval_app.command("answers")
def eval_answers(
    set_paths: list[Path] = typer.Option(
        ...,
        "--set",
        help="JSON Lines of questions, conversations ({'turns'}) or answerability lines; repeat "
        "--set to compare sets side by side (dev beside held-out).",
    ),
    refusal_set: Path | None = typer.Option(
        None, "--refusal-set", help="An answerability set ('q', 'covered') added to every --set."
    ),
    llm: str | None = typer.Option(None, "--llm", help="Backend spec (default: auto)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (a list, one object per set)."),
) -> None:
    """Fact accuracy (single questions and conversation turns), intent accuracy, false and off-topic refusals,
    citation precision/recall (ALCE-style), citations to passages no tool returned, latency."""
    from .evaluation import evaluate_answers

    for path in [*set_paths, *([refusal_set] if refusal_set else [])]:
        if not path.exists():
            _fail(f"question set {path} does not exist")
    try:
        results = [evaluate_answers(path, refusal_set, llm, get_settings()) for path in set_paths]
    except (ValueError, *_store_errors()) as exc:
        _fail(str(exc))
    if as_json:
        _emit(results)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Answers ({results[0]['backend']})")
    table.add_column("metric", no_wrap=True)
    for result in results:
        table.add_column(Path(result["set"]).stem)
    for key, value in results[0].items():
        if key in ("set", "backend") or isinstance(value, (list, dict)):
            continue
        cells = [r[key] for r in results]
        table.add_row(key, *("-" if v is None else f"{v:.3f}" if isinstance(v, float) else str(v) for v in cells))
    Console().print(table)
    for result in results:
        if result["misses"]:
            _err(f"{Path(result['set']).stem} misses: {', '.join(result['misses'])}")


@eval_app.command("retrieval")
def eval_retrieval(
    set_path: Path = typer.Option(..., "--set", help="JSON Lines with 'q' and 'gold'."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    baseline: bool = typer.Option(
        True, "--baseline/--no-baseline", help="Also score the naive 1000/200 dense baseline."
    ),
) -> None:
    """Recall@1/3/5/10 and MRR for the hybrid retriever and a naive baseline."""
    from .evaluation import evaluate_retrieval

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
            table.add_row(
                r["name"],
                *(f"{r[f'recall@{k}']:.2f}" for k in (1, 3, 5, 10)),
                f"{r['mrr']:.3f}",
                ", ".join(r["misses"]) or "-",
            )
    Console().print(table)
    if result.get("recall@5_ratio"):
        typer.echo(f"Recall@5 ratio ours/baseline: {result['recall@5_ratio']:.2f}")


@app.command()
def serve(
    host: str | None = typer.Option(
        None, "--host", help="Interface to listen on (default 127.0.0.1: this machine only)."
    ),
    port: int | None = typer.Option(None, "--port", min=1, max=65535, help="Port (default 7860)."),
) -> None:
    """Serve the web app (chat, role fit, evidence explorer). Builds the index first if it is missing.
    Never creates a public share link."""
    from .index import ensure_index

    settings = get_settings()
    try:
        ensure_index(settings, notify=_err)
    except _store_errors() as exc:
        _fail(str(exc))
    from ui.serving import serve as serve_app

    serve_app(settings, host=host or settings.ui.host, port=port or settings.ui.port)


def _fit_errors():
    from .corpus import CorpusError
    from .fit import FitInputError, FitModelError, ProfileFileError

    return (FitInputError, FitModelError, ProfileFileError, CorpusError)


def _print_fit(result) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    for note in result.notes:
        if note not in result.message:
            _err(f"note: {note}")
    if result.needs_more:
        typer.echo(result.message)
        typer.echo("Quiz keys: " + ", ".join(q["skill"] for q in result.quiz) + "  (e.g. --quiz publication=4)")
        return
    table = Table(title=f"Role fit (confidence {result.confidence_label}, margin {result.margin:.2f})")
    for col in ("#", "role", "share", "Table 1 score", "Section 4/6 wording"):
        table.add_column(col)
    for i, role in enumerate(result.ranking, 1):
        table.add_row(
            str(i), role.role, f"{role.score:.0%}", f"{role.table_score:+.2f}", f"{role.definition_score:+.3f}"
        )
    console.print(table)
    for role in result.ranking[:2]:
        typer.secho(f"Why {role.role}:", bold=True)
        for reason in role.reasons:
            typer.echo(f"  - {reason.text} [{', '.join(p.id for p in reason.citations)}]")
        if role.closest:
            typer.echo(f"  - Closest wording in the paper: “{role.closest['paper']}” [{role.closest['passage_id']}]")
    if result.follow_up:
        typer.echo(f"Follow-up: {result.follow_up['question']}  (--quiz {result.follow_up['skill']}=N)")
    if result.archetypes:
        typer.echo("Organisations that hire most for this profile (paper §6):")
        for a in result.archetypes:
            typer.echo(f"  - {a['name']} [{a['citation']['id']}]: {a['why']}")


@app.command("fit")
def fit_command(
    profile: str | None = typer.Argument(
        None, help="A few sentences about you: what you like, have done, want to avoid."
    ),
    file: Path | None = typer.Option(
        None, "--file", help="CV/profile: .txt, .md, .pdf or .docx (max 5 MB, read in memory only)."
    ),
    quiz: list[str] | None = typer.Option(
        None, "--quiz", help="skill=0..4, repeatable; overrides the text for that skill (e.g. publication=4)."
    ),
    batch: Path | None = typer.Option(
        None, "--batch", help='JSON Lines file of {"id", "profile"} (optional "quiz": {skill: level}).'
    ),
    plot: Path | None = typer.Option(
        None, "--plot", help="Save a chart of you vs the top roles (PNG, SVG or PDF by extension)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Which of the four roles fits you, from the paper's Table 1 skill matrix: ranked, explained, cited."""
    from .core.text import REPLACED_CHARACTERS, scrub_text
    from .fit import fit, get_fit_model, parse_quiz_args, plot_fit, read_profile_path

    settings = get_settings()
    if batch is None and profile is None and file is None and not quiz:
        _fail("give a PROFILE_TEXT, --file, --quiz skill=level or --batch FILE")
    if batch is not None and (profile is not None or file is not None or quiz or plot is not None):
        _fail("--batch reads every profile from the file; drop PROFILE_TEXT, --file, --quiz and --plot")
    try:
        model = get_fit_model(settings)
        answers = parse_quiz_args(quiz or [])
    except _fit_errors() as exc:
        _fail(str(exc))
    if batch is not None:
        for n, obj, error in _batch_lines(batch):
            if error:
                _emit({"id": None, "line": n, "error": error, "ranking": [], "skills": {}})
                continue
            try:
                line_quiz = obj.get("quiz")
                if line_quiz is not None and not isinstance(line_quiz, dict):
                    raise ValueError('"quiz" must be an object like {"publication": 4}')
                _emit({"id": obj.get("id"), **fit(str(obj.get("profile") or ""), line_quiz, model=model).to_dict()})
            except (ValueError, *_fit_errors()) as exc:
                _emit({"id": obj.get("id"), "line": n, "error": str(exc), "ranking": [], "skills": {}})
        return
    try:
        text, replaced = scrub_text(profile or "")  # bad bytes in the argument: replaced, with a note
        if replaced:
            _err(f"note: {REPLACED_CHARACTERS.format(count=replaced)}")
        if file is not None:
            text = f"{text}\n{read_profile_path(file, settings.fit.max_file_bytes)}".strip()
        result = fit(text, answers, model=model)
    except _fit_errors() as exc:
        _fail(str(exc))
    if plot is not None:
        try:
            plot_fit(result).savefig(plot)
        except (OSError, ValueError) as exc:
            _fail(f"could not write the chart to {plot}: {exc}")
        _err(f"chart written to {plot}")
    if as_json:
        _emit(result.to_dict())
        return
    _print_fit(result)


@eval_app.command("fit")
def eval_fit(
    set_path: Path = typer.Option(..., "--set", help="JSON Lines with 'profile' and 'top1' (role list)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Top-1 and top-2 accuracy (and log loss of the shares) of the role fit on a persona set."""
    from .evaluation import evaluate_fit

    if not set_path.exists():
        _fail(f"persona set {set_path} does not exist")
    try:
        result = evaluate_fit(set_path, get_settings())
    except (ValueError, *_fit_errors()) as exc:
        _fail(str(exc))
    if as_json:
        _emit(result)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(
        title=f"Role fit on {set_path.name}: top-1 {result['top1_hits']}/{result['personas']}, "
        f"top-2 {result['top2_hits']}/{result['personas']}, log loss {result['log_loss']:.3f}"
    )
    for col in ("id", "expected", "ranking", "share", "top-1"):
        table.add_column(col, overflow="fold")
    for r in result["results"]:
        table.add_row(
            str(r["id"]),
            ", ".join(r["expected"]),
            " > ".join(r["ranking"]) or "(needs more)",
            f"{r['top_share']:.2f}" if r["top_share"] is not None else "-",
            "yes" if r["top1"] else "NO",
        )
    Console().print(table)


@eval_app.command("audit")
def eval_audit(
    set_path: Path = typer.Option(..., "--set", help="JSON Lines with 'sentence', 'ref' and 'acceptable' verdicts."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Precision and recall of "problem found" (any verdict but supported) and the verdict counts of the
    citation audit on a labelled set."""
    from .evaluation.audit import evaluate_audit, format_audit_evaluation

    if not set_path.exists():
        _fail(f"labelled set {set_path} does not exist")
    try:
        result = evaluate_audit(set_path, get_settings())
    except (ValueError, *_store_errors()) as exc:
        _fail(str(exc))
    if as_json:
        _emit(result)
        return
    typer.echo(format_audit_evaluation(result))


@app.command("audit")
def audit_command(
    ref: int | None = typer.Option(None, "--ref", help="Only the pairs that cite reference [N]."),
    section: str | None = typer.Option(
        None, "--section", help="Only sentences of section S (its number or title words)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the verdicts as a JSON list."),
    full: bool = typer.Option(
        False, "--full", help="With --json: an object that also holds the uncited quotations and the metadata checks."
    ),
    report: Path | None = typer.Option(None, "--report", help="Write a Markdown report to this file."),
    llm: str | None = typer.Option(
        None, "--llm", help="openai:<model> or ollama:<model>: a capable model judges the borderline pairs."
    ),
) -> None:
    """Citation audit: does each source say what the paper's citing sentences attribute to it?

    One verdict per (citing sentence, reference) pair: supported, partial, not-supported or no-source-text,
    with the best source passages, a one-line reason and a word-level diff of every quotation."""
    from .audit import (
        AuditError,
        audit_report_markdown,
        cached_audit,
        check_ref,
        check_section,
        select_verdicts,
        verdict_counts,
    )
    from .corpus import load_references

    settings = get_settings()
    try:
        if ref is not None:
            check_ref(ref, settings)
        result = cached_audit(settings)
        if section is not None:
            check_section(section, result.verdicts)
    except AuditError as exc:
        _fail(str(exc))
    except _store_errors() as exc:
        _fail(str(exc))
    if llm:
        from .audit.judge import JudgeError, judge_result

        try:
            result = judge_result(result, llm, settings)
        except JudgeError as exc:
            _fail(str(exc))
    verdicts = select_verdicts(result.verdicts, ref, section)
    uncited = [u for u in result.uncited if ref is None and (section is None or u.section == section.strip())]
    metadata = [m for m in result.metadata if ref is None or m.ref == ref]
    if report is not None:
        consistency = [c for c in result.consistency if ref is None and section in (None, c.section)]
        refs = load_references(settings.corpus_dir)
        text = audit_report_markdown(verdicts, uncited, metadata, settings, refs, consistency)
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text(text, encoding="utf-8")
        _err(f"wrote {report} ({len(verdicts)} pairs)")
    if as_json:
        if full:
            _emit(
                {
                    "verdicts": [v.to_dict() for v in verdicts],
                    "uncited_quotes": [u.to_dict() for u in uncited],
                    "metadata": [m.to_dict() for m in metadata],
                    "consistency": [c.to_dict() for c in result.consistency],
                    "findings": [f.to_dict() for f in result.findings()],
                    "counts": verdict_counts(verdicts),
                }
            )
        else:
            # Findings not tied to one citing pair (an uncited sentence a source contradicts, two paper
            # sentences that disagree) are rows too, with a "kind"; pair rows are kind "citation".
            consistency = [c for c in result.consistency if ref in (None, c.other_ref) and section in (None, c.section)]
            _emit([{"kind": "citation", **v.to_dict()} for v in verdicts] + [c.to_audit_row() for c in consistency])
        return
    if report is not None:
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(show_lines=True)
    for col in ("ref", "§", "line", "verdict", "score", "claim", "reason"):
        table.add_column(col, overflow="fold")
    for v in verdicts:
        table.add_row(f"[{v.ref}]", v.section, str(v.line), v.verdict, f"{v.score:.2f}", v.claim[:160], v.reason)
    Console().print(table)
    counts = verdict_counts(verdicts)
    typer.echo(f"{len(verdicts)} pairs: " + ", ".join(f"{n} {name}" for name, n in counts.items()))


def main() -> None:  # pragma: no cover - console entry point
    app()
