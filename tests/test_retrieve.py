"""Hybrid retrieval, fusion, citation expansion, the LangChain face, the search CLI and retrieval quality."""

from __future__ import annotations

import json
import subprocess

import pytest

from advisor.core.text import InputError, joined_compounds
from advisor.evaluation.retrieval import evaluate_retrieval, first_hit_rank
from advisor.retrieval import HybridRetriever, prepare_query, reciprocal_rank_fusion

from .conftest import DATA
from .test_store import ADVISOR, env_for

PASSAGE_FIELDS = {"id", "text", "score", "doc", "title", "section", "kind", "cites", "url", "start", "end"}


def test_reciprocal_rank_fusion_rewards_agreement():
    fused = reciprocal_rank_fusion({"dense": ["a", "b", "c"], "bm25": ["b", "d"]}, k=60)
    assert [pid for pid, _, _ in fused][:2] == ["b", "a"]
    assert {pid: found for pid, _, found in fused}["b"] == ("dense", "bm25")
    assert fused[0][1] == pytest.approx(1 / 62 + 1 / 61)


def test_fusion_deduplicates_ids_within_a_list():
    fused = reciprocal_rank_fusion({"dense": ["a", "a", "b"]}, k=1)
    assert [pid for pid, _, _ in fused] == ["a", "b"]


def test_query_preparation():
    with pytest.raises(InputError):
        prepare_query(" \n\t ", 2000)
    text, notices = prepare_query("word " * 1000, 2000)
    assert len(text) <= 2000 and "searched only the first" in notices[0]


def test_hybrid_search_returns_evidence_from_both_retrievers(retriever):
    hits = retriever.search("What share of Anthropic's papers have engineers as authors?", 5)
    assert len(hits) == 5 and len({h.passage.id for h in hits}) == 5
    assert "all of our papers have engineers as authors" in hits[0].passage.text
    assert set(hits[0].found_by) == {"dense", "bm25"}
    assert hits == sorted(hits, key=lambda h: -h.score)


def test_table_rows_are_retrievable(retriever):
    hits = retriever.search("In the skills matrix, how involved are research scientists in code optimization?", 3)
    assert any(h.passage.kind == "table-row" and "Code optimization" in h.passage.text for h in hits)


def test_reference_without_source_text_is_found(retriever):
    hits = retriever.search("Google DeepMind Research Engineer AI for Sustainability job posting", 5)
    assert any(h.passage.id == "ref-3:reference" for h in hits)


def test_citation_expansion_pulls_the_cited_source(retriever):
    hits = retriever.search("OpenAI research engineer massive-scale distributed machine learning systems", 3)
    assert any(2 in h.passage.cites for h in hits if h.passage.doc == "paper")
    expanded = retriever.expand_citations(hits, "massive-scale distributed machine learning systems")
    added = [e for e in expanded[len(hits) :] if e.passage.doc == "ref-2"]
    assert {e.passage.kind for e in added} >= {"reference"}
    assert any(e.passage.kind in ("excerpt", "fact") for e in added)
    assert all(e.found_by == ("citation",) for e in expanded[len(hits) :])


def test_adjacent_windows_are_the_neighbours_cut_from_the_same_paragraph(retriever):
    cut = [p for p in retriever.index.passages if p.id.endswith(".1") and p.doc == "paper"]
    assert cut, "some paper paragraph is longer than one window"
    middle = cut[0]
    base = middle.id.removesuffix(".1")
    neighbours = [p.id for p in retriever.adjacent_windows(middle)]
    assert neighbours[0] == f"{base}.0" and all(n.startswith(base + ".") for n in neighbours)
    whole = next(p for p in retriever.index.passages if p.doc == "paper" and p.kind == "paragraph" and "." not in p.id)
    assert retriever.adjacent_windows(whole) == []


def test_the_closest_source_passages_come_from_the_sources_asked_for(retriever):
    vector = retriever.embedder.encode(["the primary goal of a research engineer"])[0]
    anywhere = retriever.best_in_sources(vector, n=4)
    assert len(anywhere) == 4 and all(p.doc.startswith("ref-") and p.kind != "reference" for p, _ in anywhere)
    assert anywhere[0][0].doc == "ref-11", [p.id for p, _ in anywhere]  # Matsukawa's post says it in those words
    assert {p.doc for p, _ in retriever.best_in_sources(vector, n=3, refs=[1, 2])} <= {"ref-1", "ref-2"}


def test_langchain_retriever_interface(retriever):
    docs = HybridRetriever(retriever=retriever, k=3).invoke("Who shares the title Member of Technical Staff?")
    assert len(docs) == 3 and docs[0].id and docs[0].metadata["doc"] in ("paper", "ref-1")
    assert "Member of Technical Staff" in " ".join(d.page_content for d in docs)


def test_retrieval_quality_on_dev_set_beats_baseline(settings):
    result = evaluate_retrieval(DATA / "dev_questions.jsonl", settings)
    ours, base = result["ours"], result["baseline"]
    assert ours["recall@5"] >= 0.95 and ours["mrr"] >= 0.85, ours
    assert ours["recall@5"] >= 1.2 * base["recall@5"], (ours, base)


def test_first_hit_rank_uses_the_eval_normalisation():
    assert first_hit_rank(["nothing", "Research → handoff → Engineering!"], ["research → handoff → engineering"]) == 2
    assert first_hit_rank(["nothing"], ["x y"]) is None


# ---------------------------------------------------------------- CLI


def run_cli(settings, *args, stdin=None):
    return subprocess.run(
        ADVISOR + list(args), env=env_for(settings), capture_output=True, text=True, timeout=180, input=stdin
    )


def test_search_json_schema(settings):
    result = run_cli(settings, "search", "research engineers at DeepMind", "-k", "4", "--json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert len(rows) == 4 and set(rows[0]) >= PASSAGE_FIELDS
    assert rows[0]["doc"] == "paper" or rows[0]["doc"].startswith("ref-")


def test_search_batch_keeps_order_and_ids(settings, tmp_path):
    batch = tmp_path / "q.jsonl"
    batch.write_text(
        '{"id": "a", "q": "Member of Technical Staff"}\n'
        "not json\n"
        '{"id": "b", "q": "   "}\n'
        '{"id": "c", "q": "gradient accumulation mixed precision"}\n'
    )
    result = run_cli(settings, "search", "--batch", str(batch), "-k", "2", "--json")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in rows] == ["a", None, "b", "c"]
    assert len(rows[0]["results"]) == 2 and set(rows[0]["results"][0]) >= PASSAGE_FIELDS
    assert "malformed" in rows[1]["error"] and "empty" in rows[2]["error"]


def test_empty_query_exits_nonzero_with_message(settings):
    result = run_cli(settings, "search", "   ")
    assert result.returncode == 2 and "empty" in result.stderr


def test_long_query_is_truncated_with_notice(settings):
    result = run_cli(settings, "search", "distributed training " * 200, "--json")
    assert result.returncode == 0
    assert "searched only the first" in result.stderr
    assert json.loads(result.stdout)


def test_malformed_corpus_names_file_and_line(settings, corpus_copy, tmp_path):
    (corpus_copy / "references.json").write_text('[\n {"id": 1,,}\n]')
    s = settings.model_copy(update={"corpus_dir": corpus_copy, "index_dir": tmp_path / "idx"})
    result = subprocess.run(ADVISOR + ["index"], env=env_for(s), capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "references.json:2: malformed JSON" in result.stderr


def test_ask_cli_json_schema(settings):
    result = run_cli(settings, "ask", "Do research engineers need a PhD?", "--llm", "none", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert {"answer", "citations", "claims", "grounded", "backend"} <= set(data)
    assert data["citations"] and {"n"} | PASSAGE_FIELDS <= set(data["citations"][0])
    assert {"text", "citations", "support", "supported"} <= set(data["claims"][0])


def test_ask_cli_batch(settings, tmp_path):
    batch = tmp_path / "ask.jsonl"
    batch.write_text('{"id": 1, "q": "What is the capital of France?"}\n{"id": 2, "q": ""}\n')
    result = run_cli(settings, "ask", "--batch", str(batch), "--llm", "none", "--json")
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in rows] == [1, 2]
    assert rows[0]["mode"] == "not-covered" and rows[0]["citations"] == []
    assert "empty" in rows[1]["error"]


def test_bm25_reads_a_typo_as_the_indexed_word(retriever):
    typo = retriever.lexical("how are amazon reserach scientists evaluated", 5)
    right = retriever.lexical("how are amazon research scientists evaluated", 5)
    assert typo and typo == right
    assert retriever.spelled_as_indexed("xqzvbnm") is None  # nothing like it: dropped, not guessed
    assert retriever.lexical("xqzvbnm", 5) == []


def test_bm25_reads_a_hyphenated_compound_as_one_word_too(retriever):
    """ "T-shaped": the one-letter part is no word, "shaped" is in many passages; the compound is in one."""
    assert joined_compounds("a T-shaped, end-to-end profile") == ["tshaped", "endtoend"]
    hits = [pid for pid, _ in retriever.lexical("T-shaped", 3)]
    assert hits and "T-shaped" in retriever.index.by_id[hits[0]].text, hits
