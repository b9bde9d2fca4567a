"""The corpus parser: sections, Table 1, citations, exact spans, and clear errors on bad files."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import sys
from collections import Counter
from pathlib import Path

import pytest

from advisor.core.text import parse_citations, quoted_phrases, split_sentences
from advisor.corpus import CorpusError, load_corpus, load_references, source_ref
from advisor.corpus.references import coined_names

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
# The paper as extracted (before tools/repair_paper.py), checked in so that a clone can prove the repair
# lost no word; its hash pins it to the extraction the corpus was made from.
ORIGINAL_PAPER = ROOT / "tests" / "data" / "original-paper.md"
ORIGINAL_SHA256 = "63828f0adca419729a8a375a72fa1c5f7bb6d9a2b98e1cc35e1cefbc67420552"


@pytest.fixture(scope="module")
def passages():
    return load_corpus(CORPUS)


def test_paper_sections_in_order(passages):
    sections = list(dict.fromkeys((p.section, p.section_title) for p in passages if p.doc == "paper"))
    assert [s for s, _ in sections] == ["Title", "Abstract", "1", "2", "3", "4", "5", "6", "7", "References"]
    titles = dict(sections)
    assert titles["3"] == "Shared Technical Skills and Responsibilities Across Roles"
    assert titles["6"] == "Organizational Demand Along the Research–Engineering Continuum"


def test_table1_has_nine_intact_rows(passages):
    rows = [p for p in passages if p.kind == "table-row"]
    assert len(rows) == 9
    skills = [p.text.strip("| ").split(" | ")[0] for p in rows]
    assert skills[0] == "Propose novel ML algorithms"
    assert skills[-1] == "Product integration & deployment"
    code_opt = next(p for p in rows if p.text.startswith("| Code optimization"))
    assert (
        code_opt.text == "| Code optimization (performance) | ○ (basic needed) | ✓✓ (extensive) | ✓ (practical needed) "
        "| ✓✓ (extensive) |"
    )
    assert all(p.section == "6" for p in rows)
    key = [p for p in passages if p.kind == "caption" and p.text.startswith("**Table 1:**")]
    assert len(key) == 1 and "✓✓ = core focus of role" in key[0].text and "○ = minimally" in key[0].text


def test_four_figure_captions(passages):
    captions = [p.text for p in passages if p.kind == "caption" and p.text.startswith("**Fig.")]
    assert [c[:9] for c in captions] == ["**Fig. 1:", "**Fig. 2:", "**Fig. 3:", "**Fig. 4:"]


def test_every_passage_is_an_exact_span_of_its_file(passages):
    texts = {}
    for p in passages:
        text = texts.setdefault(p.file, (CORPUS / p.file).read_text(encoding="utf-8"))
        assert text[p.start : p.end] == p.text, p.id


def test_ids_are_unique_and_stable(passages):
    assert len({p.id for p in passages}) == len(passages)
    again = load_corpus(CORPUS)
    assert [p.id for p in again] == [p.id for p in passages]


def test_passages_never_cross_a_section(passages):
    paper = (CORPUS / "paper.md").read_text(encoding="utf-8")
    for p in passages:
        if p.doc == "paper":
            assert "\n#" not in paper[p.start : p.end], p.id


@pytest.mark.parametrize(
    "text, expected",
    [
        ("building the science behind the algorithms”[2].", (2,)),
        ("must understand parallelism [9, 10](data and model parallel training)", (9, 10)),
        ("researching model quantization[13–15] or distillation[16] techniques", (13, 14, 15, 16)),
        ("be “equal contributors to papers.”<sup>[12]</sup> The main difference", (12,)),
        ("the same agent [21–24] and memory ideas", (21, 22, 23, 24)),
        ("simulators for evaluation [28–31], sandboxes", (28, 29, 30, 31)),
        ("“lead [their] efforts in developing”[3]", (3,)),
        ("[prdeepak.babu@gmail.com](mailto:prdeepak.babu@gmail.com)", ()),
        ("scaling laws [17, 18] or reinforcement learning from human feedback [19, 20]", (17, 18, 19, 20)),
    ],
)
def test_citation_markers(text, expected):
    assert parse_citations(text, range(1, 33)) == expected


def test_citations_on_real_passages(passages):
    by_text = {p.id: p for p in passages}
    cited = Counter(n for p in passages if p.doc == "paper" and p.kind != "reference" for n in p.cites)
    # every reference except the job postings the paper never cites inline is cited at least once
    assert set(range(1, 33)) - set(cited) == set()
    ml_engineer = [p for p in by_text.values() if "quantization[13–15]" in p.text]
    assert ml_engineer and ml_engineer[0].cites == (13, 14, 15, 16)


def test_sentence_splitting_keeps_markers_and_abbreviations():
    text = (
        "Meta also has Research Engineers (e.g. generative language teams), which are strong. "
        "It expects to “primarily write software for backend/tooling.”[4] Meta also has more. "
        "A degree (usually a Ph.D.) in a relevant field is typical."
    )
    assert split_sentences(text) == [
        "Meta also has Research Engineers (e.g. generative language teams), which are strong.",
        "It expects to “primarily write software for backend/tooling.”[4]",
        "Meta also has more.",
        "A degree (usually a Ph.D.) in a relevant field is typical.",
    ]


@pytest.mark.parametrize(
    ("text", "phrases"),
    [
        (
            "The paper says the job was 'more similar to a mid-level SWE position'. Is it?",
            ["more similar to a mid-level SWE position"],
        ),
        ('Did it say “engineers do research” and "first author"?', ["engineers do research", "first author"]),
        ("Meta's blog and the authors' view of Table 1's key", []),  # apostrophes open no quote
    ],
)
def test_quoted_phrases(text, phrases):
    assert quoted_phrases(text) == phrases


def test_a_source_passage_names_its_reference(passages):
    assert {source_ref(p.id) for p in passages if p.doc == "paper"} == {None}
    assert all(source_ref(p.id) == p.ref for p in passages if p.doc.startswith("ref-"))


def test_sources_without_text_are_searchable_by_reference(passages):
    for n in (3, 5, 7, 8):
        entries = [p for p in passages if p.doc == f"ref-{n}"]
        assert [p.kind for p in entries] == ["reference"]
        assert entries[0].file == "references.json" and entries[0].text
    kinds = Counter(p.kind for p in passages if p.doc == "ref-1")
    assert kinds["excerpt"] == 3 and kinds["fact"] >= 5


def test_checked_in_original_is_the_extraction():
    assert hashlib.sha256(ORIGINAL_PAPER.read_bytes()).hexdigest() == ORIGINAL_SHA256


def test_repaired_paper_keeps_every_word():
    words = lambda t: Counter(re.findall(r"[^\W_]+", t))  # noqa: E731 - tiny local helper
    assert words(ORIGINAL_PAPER.read_text(encoding="utf-8")) == words((CORPUS / "paper.md").read_text(encoding="utf-8"))


def test_repair_script_reproduces_paper(tmp_path):
    sys.path.insert(0, str(ROOT / "tools"))
    from repair_paper import repair

    assert repair(ORIGINAL_PAPER.read_text(encoding="utf-8")) == (CORPUS / "paper.md").read_text(encoding="utf-8")
    repaired = (CORPUS / "paper.md").read_text(encoding="utf-8")
    assert "- **Research Engineer (RE):**" in repaired and "\n- Research Engineer (RE):**" not in repaired


def _copy_corpus(tmp_path: Path) -> Path:
    dst = tmp_path / "corpus"
    shutil.copytree(CORPUS, dst)
    return dst


def test_malformed_references_json_names_file_and_line(tmp_path):
    corpus = _copy_corpus(tmp_path)
    raw = (corpus / "references.json").read_text().splitlines()
    raw[4] = raw[4] + ",,"
    (corpus / "references.json").write_text("\n".join(raw))
    with pytest.raises(CorpusError, match=r"references\.json:5: malformed JSON"):
        load_corpus(corpus)


def test_missing_source_file_is_named(tmp_path):
    corpus = _copy_corpus(tmp_path)
    (corpus / "sources" / "09-megatron-lm.md").unlink()
    with pytest.raises(CorpusError, match=r"09-megatron-lm\.md: file is missing"):
        load_corpus(corpus)


def test_broken_table_row_names_line(tmp_path):
    corpus = _copy_corpus(tmp_path)
    paper = (corpus / "paper.md").read_text(encoding="utf-8")
    paper = paper.replace("| Data pipeline & processing | ○/✓ (often delegated) |", "| Data pipeline & processing |")
    (corpus / "paper.md").write_text(paper, encoding="utf-8")
    line = paper[: paper.find("| Data pipeline")].count("\n") + 1
    with pytest.raises(CorpusError, match=rf"paper\.md:{line}: Table 1 row has 4 cells"):
        load_corpus(corpus)


def test_invalid_utf8_names_line(tmp_path):
    corpus = _copy_corpus(tmp_path)
    path = corpus / "sources" / "10-zero.md"
    path.write_bytes(path.read_bytes().replace(b"## Abstract", b"## Abstract\n\xff\xfe bad"))
    with pytest.raises(CorpusError, match=r"10-zero\.md:\d+: not valid UTF-8"):
        load_corpus(corpus)


def test_references_json_entries_have_required_fields(tmp_path):
    corpus = _copy_corpus(tmp_path)
    data = json.loads((corpus / "references.json").read_text())
    del data[3]["title"]
    (corpus / "references.json").write_text(json.dumps(data, indent=1))
    with pytest.raises(CorpusError, match=r"references\.json:\d+: reference #4 is malformed"):
        load_corpus(corpus)


def test_strip_markdown_keeps_a_links_text_but_not_a_citation_marker_before_a_parenthesis():
    from advisor.core.text import strip_markdown

    assert strip_markdown("Contributing authors: [a.b@example.com](mailto:a.b@example.com);") == (
        "Contributing authors: a.b@example.com;"
    )
    assert strip_markdown("see [the site](https://example.com/x) and **bold**") == "see the site and bold"
    kept = "must understand parallelism [9, 10](data and model parallel training)"
    assert strip_markdown(kept) == kept


def test_the_table_key_is_indexed_with_the_names_of_its_marks(passages):
    # a search for "the hollow circle" finds the key: its index text names ○ as a circle
    key = next(p for p in passages if p.kind == "caption" and p.text.startswith("**Table 1:**"))
    assert "✓ check mark; ○ white circle" in key.index_text, key.index_text


def test_a_work_is_known_by_the_names_its_own_text_gives_it():
    aliases = {n: ref.aliases for n, ref in load_references(CORPUS).items()}
    assert "Chinchilla" in aliases[18]  # "a predicted compute-optimal model, Chinchilla, that …"
    assert "InstructGPT" in aliases[20]  # "We call the resulting models InstructGPT"
    assert "MMLU" in aliases[29]  # its key, an acronym of its title
    assert aliases[17] == ()  # Kaplan et al. name nothing of their own
    # a name the text merely uses is not the work's ("outperforms Gopher"), nor a bracketed term that is not an
    # acronym of the title
    text = "We train a model, Falcon, that outperforms Gopher (LLM) on (HELM)."
    assert coined_names("Holistic Evaluation of Language Models", "x-y", text) == ("Falcon", "HELM")


def test_a_source_path_outside_the_corpus_is_never_read(tmp_path):
    corpus = _copy_corpus(tmp_path)
    (tmp_path / "outside.md").write_text("We call it Secret.")
    data = json.loads((corpus / "references.json").read_text())
    data[17]["source_file"] = "../outside.md"
    (corpus / "references.json").write_text(json.dumps(data, indent=1))
    assert load_references(corpus)[18].aliases == ()
