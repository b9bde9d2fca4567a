"""Role fit: the model read from the paper, profile reading (text, quiz, files), ranking, reasons,
follow-up questions, bad input, and the `advisor fit` / `advisor eval fit` commands."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import pytest
from typer.testing import CliRunner

from advisor.core.settings import PROJECT_ROOT, Settings
from advisor.evaluation import evaluate_fit
from advisor.fit import (
    ROLES,
    FitInputError,
    ProfileFileError,
    fit,
    fit_file,
    get_fit_model,
    is_fit_question,
    names_doctorate,
    parse_cell,
    parse_quiz_args,
    parse_table1,
    plot_fit,
    read_profile_bytes,
    read_profile_path,
    split_clauses,
)
from advisor.fit.matrix import symbol_levels

ROOT = PROJECT_ROOT
DEV_PERSONAS = ROOT / "benchmarks" / "data" / "dev_personas.jsonl"
OWN_PERSONAS = ROOT / "tests" / "personas.jsonl"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def model():
    return get_fit_model(Settings(chroma_url=None))


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def skill(result, skill_id: str):
    return next(s for s in result.skills if s.skill == skill_id)


# ---------------------------------------------------------------- the model comes from the paper

# Table 1 of corpus/paper.md, cell by cell: (symbol, note, level). Levels: ✓✓ 1.0, ✓ 0.6, ○/✓ 0.35, ○ 0.15;
# "primary"/"extensive" notes +0.1, "some"/"basic"/"support role"/"delegated"/"occasionally"/"rare"/
# "sometimes" notes -0.1; capped to 0..1.
EXPECTED_TABLE_1 = [
    (
        "Propose novel ML algorithms",
        "algorithms",
        [("✓", "primary", 0.7), ("✓", "often", 0.6), ("✓", "applied focus", 0.6), ("○", "occasionally", 0.05)],
    ),
    (
        "Implement models & experiments",
        "implementation",
        [("✓", "prototyping", 0.6), ("✓✓", "primary", 1.0), ("✓", "to validate", 0.6), ("✓✓", "primary", 1.0)],
    ),
    (
        "Scalable distributed training",
        "distributed_training",
        [("✓", "know basics", 0.5), ("✓✓", "primary", 1.0), ("✓✓", "primary", 1.0), ("✓✓", "primary", 1.0)],
    ),
    (
        "Code optimization (performance)",
        "optimization",
        [
            ("○", "basic needed", 0.05),
            ("✓✓", "extensive", 1.0),
            ("✓", "practical needed", 0.6),
            ("✓✓", "extensive", 1.0),
        ],
    ),
    (
        "Data pipeline & processing",
        "data_pipelines",
        [("○/✓", "often delegated", 0.25), ("✓", "some", 0.5), ("✓", "some", 0.5), ("✓✓", "primary", 1.0)],
    ),
    (
        "Experiment design & analysis",
        "experiments",
        [
            ("✓✓", "primary", 1.0),
            ("✓", "with team", 0.6),
            ("✓✓", "primary, business metrics", 1.0),
            ("✓", "in validation", 0.6),
        ],
    ),
    (
        "Software engineering best practices",
        "software_engineering",
        [("○/✓", "varies", 0.35), ("✓✓", "primary", 1.0), ("✓✓", "primary", 1.0), ("✓✓", "primary", 1.0)],
    ),
    (
        "Publication & research community",
        "publication",
        [
            ("✓✓", "primary output", 1.0),
            ("✓", "sometimes co-author", 0.5),
            ("✓", "encouraged to publish", 0.6),
            ("○", "rare", 0.05),
        ],
    ),
    (
        "Product integration & deployment",
        "deployment",
        [
            ("○", "support role", 0.05),
            ("✓", "support role", 0.5),
            ("✓✓", "primary goal", 1.0),
            ("✓✓", "primary goal", 1.0),
        ],
    ),
]


def test_table1_is_parsed_cell_by_cell():
    matrix = parse_table1((ROOT / "corpus" / "paper.md").read_text(encoding="utf-8"), Settings())
    assert matrix.roles == ("Research Scientist", "Research Engineer", "Applied Scientist", "ML Engineer")
    assert len(matrix.rows) == len(EXPECTED_TABLE_1) == 9
    for row, (label, skill_id, cells) in zip(matrix.rows, EXPECTED_TABLE_1):
        assert (row.label, row.id) == (label, skill_id)
        for role, (symbol, note, level) in zip(ROLES, cells):
            cell = row.cells[role]
            assert (cell.symbol, cell.note, cell.level) == (symbol, note, pytest.approx(level)), (label, role)
    assert matrix.key.startswith("**Table 1:** Key: ✓✓ = core focus of role")


def test_cell_levels_come_from_settings_and_bad_symbols_are_rejected():
    settings = Settings().with_group("fit", level_frequent=0.5, annotation_shift=0.2)
    levels = symbol_levels(settings)
    assert parse_cell("✓ (primary)", levels, 0.2).level == pytest.approx(0.7)
    assert parse_cell("✓ (some)", levels, 0.2).level == pytest.approx(0.3)
    assert parse_cell("○ (rare)", levels, 0.2).level == 0.0  # clamped at zero
    assert parse_cell("○/✓", levels, 0.2).note == ""
    with pytest.raises(ValueError, match="key's symbols"):
        parse_cell("yes (often)", levels, 0.2)


def test_every_skill_and_role_is_tied_to_a_paper_passage(model):
    for row in model.matrix.rows:
        passage = model.row_passage[row.id]
        assert passage.kind == "table-row" and passage.section == "6" and row.label in passage.text
    assert model.key_passage.text.startswith("**Table 1:**")
    assert {role: p.id for role, p in model.role_passage.items()} == {
        "Research Scientist": "paper:4:01.0",
        "Research Engineer": "paper:4:02.0",
        "Applied Scientist": "paper:4:03.0",
        "ML Engineer": "paper:4:05.0",
    }
    for role in ROLES:
        own = [s for s in model.role_sentences if s.role == role]
        assert len(own) >= 4, role
    # A sentence that defines one role never names another (those describe the overlap, not the role).
    frontier = [s for s in model.role_sentences if s.passage_id == "paper:6:01.0"]
    assert {s.role for s in frontier} == {"Research Scientist", "Research Engineer"}


def test_section6_archetypes_and_whom_they_hire(model):
    archetypes = {a.name: a for a in model.archetypes}
    assert len(archetypes) == 7
    for a in archetypes.values():
        assert sum(a.role_weights.values()) == pytest.approx(1.0, abs=1e-3)
        assert all(pid.startswith("paper:6:") for pid in a.passage_ids)

    def top_two(name):
        weights = archetypes[name].role_weights
        return set(sorted(weights, key=weights.get, reverse=True)[:2])

    assert top_two("Frontier model labs") == {"Research Scientist", "Research Engineer"}
    assert top_two("Foundation-model platforms (cloud/API providers)") == {"Applied Scientist", "ML Engineer"}
    assert top_two("Vertical-AI and SaaS product companies") == {"Applied Scientist", "ML Engineer"}
    enterprise = archetypes["Enterprise adopters (Global 2000)"].role_weights
    assert max(enterprise, key=enterprise.get) == "ML Engineer"
    assert archetypes["Frontier model labs"].lean < 0.5 < archetypes["Enterprise adopters (Global 2000)"].lean


# ---------------------------------------------------------------- personas


def test_dev_personas_top1(model):
    personas = read_jsonl(DEV_PERSONAS)
    assert len(personas) == 4
    for p in personas:
        result = fit(p["profile"], model=model)
        assert result.top_role in p["top1"], (p["id"], [(r.role, round(r.score, 2)) for r in result.ranking])


def test_own_personas_span_all_roles_and_pass(model):
    personas = read_jsonl(OWN_PERSONAS)
    assert len(personas) >= 12
    assert {role for p in personas for role in p["top1"]} == set(ROLES)
    assert (
        sum(
            1
            for p in personas
            if any(w in p["profile"].lower() for w in ("don't", "not ", "never", "hate", "rather", "no "))
        )
        >= 6
    )
    misses = []
    for p in personas:
        result = fit(p["profile"], model=model)
        if result.top_role not in p["top1"]:
            misses.append((p["id"], result.top_role))
    assert misses == []


def test_evaluate_fit_reports_top1_and_top2(model):
    result = evaluate_fit(DEV_PERSONAS, model.settings)
    assert result["personas"] == 4 and result["top1"] == 1.0 and result["top2"] == 1.0
    assert [r["id"] for r in result["results"]] == ["dp01", "dp02", "dp03", "dp04"]
    assert result["misses"] == []


# ---------------------------------------------------------------- reading a profile


def test_negation_lowers_the_skill(model):
    wants = fit("I love publishing papers at conferences.", model=model)
    avoids = fit("I don't want to publish papers at conferences.", model=model)
    assert skill(wants, "publication").level > 0.75
    assert skill(avoids, "publication").level < 0.25
    assert skill(avoids, "publication").sentence == "I don't want to publish papers at conferences."
    on_call = fit("I love research but I hate on-call.", model=model)
    assert skill(on_call, "deployment").evidence < 0
    assert wants.top_role == "Research Scientist" and avoids.top_role != "Research Scientist"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("I want to ship models without writing papers", [(False, "ship models"), (True, "writing papers")]),
        (
            "I don't want to publish papers or invent new algorithms",
            [(True, "publish papers or invent new algorithms")],
        ),
        ("Being on call is not for me", [(True, "Being on call")]),
        ("I'd rather build products than write papers", [(False, "build products"), (True, "write papers")]),
        (
            "I make it train without crashing, and who turns sketches into clean code",
            [(False, "I make it train"), (True, "crashing"), (False, "turns sketches into clean code")],
        ),
        ("I don't mind on-call", [(False, "on-call")]),
        ("Product roadmaps and quarterly targets don't motivate me", [(True, "Product roadmaps")]),
        ("I'd hand the implementation off to engineers", [(True, "the implementation off to engineers")]),
        (
            "I design new methods and delegate the scaling work",
            [(False, "design new methods"), (True, "the scaling work")],
        ),
        ("Shipping product features sounds pretty dull to me", [(True, "Shipping product features")]),
        ("Dislikes: on-call rotations, latency budgets", [(True, "on-call rotations, latency budgets")]),
        ("Dislikes: papers; on-call", [(True, "papers"), (True, "on-call")]),
        # "no" as a determiner negates its noun phrase, not the list after it
        (
            "no phd, 6 yrs backend + distributed systems at a big company",
            [(True, "no phd"), (False, "distributed systems")],
        ),
        (
            "masters only, no phd. i want to join a research team",
            [(False, "masters"), (True, "no phd")] + [(False, "research team")],
        ),
        ("I want no publishing or theory", [(True, "publishing or theory")]),
    ],
)
def test_negation_scope(text, expected):
    clauses = split_clauses(text)
    assert len(clauses) == len(expected)
    for clause, (negative, words) in zip(clauses, expected):
        assert clause.negative is negative and words in clause.text, clause


def test_a_typed_profile_is_split_into_sentences_that_start_in_lower_case():
    clauses = split_clauses("love perf tuning + infra. papers dont interest me at all. what fits?")
    negative = [c for c in clauses if c.negative]
    assert [c.sentence for c in negative] == ["papers dont interest me at all."], clauses
    assert not any(c.negative and "perf tuning" in c.text for c in clauses), clauses


def test_an_occasional_paper_is_a_hedge():
    (clause,) = split_clauses("I get my name on a paper now and then")
    assert clause.hedged and not clause.negative


def test_likes_and_dislikes_lists(model):
    result = fit(
        "Likes: presenting at conferences, reading arXiv every morning.\n"
        "Dislikes: on-call rotations, latency budgets, babysitting services in production.",
        model=model,
    )
    assert skill(result, "publication").evidence > 0
    assert skill(result, "deployment").evidence < 0 and skill(result, "optimization").evidence < 0
    assert result.top_role == "Research Scientist"


def test_past_background_weighs_less_than_what_the_person_wants_next():
    from advisor.fit.evidence import clause_weights

    clauses = split_clauses("I was a software engineer for six years. Now I mainly want to invent new algorithms.")
    assert list(clause_weights(clauses)) == [0.5, 1.0]
    cv = split_clauses("- Built CI pipelines for the model codebase\n- Was on the on-call rota for serving")
    assert list(clause_weights(cv)) == [1.0, 1.0]  # a CV is all background: nothing to outweigh it


def test_each_skill_level_names_the_sentence_that_drove_it(model):
    profile = "  I love designing rigorous ablations.\n- Separately, I enjoy building data pipelines in Spark."
    result = fit(profile, model=model)
    data = skill(result, "data_pipelines")
    assert data.sentence == "Separately, I enjoy building data pipelines in Spark."
    assert profile[data.span[0] : data.span[1]] == data.sentence
    assert skill(result, "experiments").sentence == "I love designing rigorous ablations."


def test_quiz_alone_ranks_and_overrides_text(model):
    researcher = fit(quiz={"publication": 4, "algorithms": 4, "deployment": 0, "optimization": 1}, model=model)
    assert researcher.top_role == "Research Scientist"
    assert skill(researcher, "publication").source == "quiz" and skill(researcher, "publication").level == 1.0
    text = "I love publishing papers and inventing new algorithms."
    assert fit(text, model=model).top_role == "Research Scientist"
    overridden = fit(text, {"publication": 0, "algorithms": 0, "deployment": 4, "optimization": 4}, model=model)
    assert overridden.top_role == "ML Engineer"
    assert skill(overridden, "publication").level == 0.0 and skill(overridden, "publication").source == "quiz"


def test_quiz_answers_are_validated(model):
    assert parse_quiz_args(["publication=4", " deploy = 0"]) == {"publication": 4, "deploy": 0}
    assert skill(fit(quiz={"pub": 4}, model=model), "publication").quiz == 4  # unambiguous prefix
    with pytest.raises(FitInputError, match="unknown quiz skill 'cooking'"):
        fit(quiz={"cooking": 3}, model=model)
    with pytest.raises(FitInputError, match="0-4"):
        fit(quiz={"publication": 7}, model=model)
    with pytest.raises(FitInputError, match="skill=level"):
        parse_quiz_args(["publication"])


@pytest.mark.parametrize("profile", ["", "   ", "I like cats and hiking on weekends.", "My name is Anna."])
def test_no_skill_signal_asks_for_more_instead_of_ranking(model, profile):
    result = fit(profile, model=model)
    assert result.needs_more and result.ranking == () and result.confidence == 0.0
    assert "tell me more" in result.message.lower() and "quiz" in result.message.lower()
    assert [q["skill"] for q in result.quiz] == model.skill_ids
    data = result.to_dict()
    assert data["ranking"] == [] and data["needs_more"] is True and data["top_role"] is None


def test_a_one_line_job_title_is_ranked_with_low_confidence(model):
    """A demanding user who says only "I'm a data engineer moving into ML" expects a first answer, not a
    request for more: the ranking comes with its low confidence (and the quiz stays on offer)."""
    result = fit(
        "ok given all that — im a data engineer who wants to move into ML. which of the 4 roles is the shortest hop?",
        model=model,
    )
    assert not result.needs_more and result.ranking[0].role == "ML Engineer"
    assert result.confidence_label == "low"


def test_other_language_is_handled_with_low_confidence(model):
    french = fit(
        "Je veux inventer de nouveaux algorithmes et publier des articles de recherche à NeurIPS.", model=model
    )
    assert french.confidence_label in ("low", "none")
    assert any("English" in note for note in french.notes)
    chinese = fit("我想发表论文并发明新的算法。", model=model)
    assert chinese.needs_more or chinese.confidence_label == "low"
    assert any("English" in note for note in chinese.notes)
    english = fit("I want to invent new algorithms and publish research papers at NeurIPS.", model=model)
    assert english.confidence > french.confidence


# ---------------------------------------------------------------- the result


def test_reasons_cite_the_table_row_and_a_section_3_or_4_passage(model):
    result = fit(
        "I want to make a proven model into a reliable, low-latency service with good monitoring and CI/CD.",
        model=model,
    )
    assert result.top_role == "ML Engineer"
    for role in result.ranking[:2]:
        assert 2 <= len(role.reasons) <= 4
        for reason in role.reasons:
            row, extra = reason.citations
            assert row.kind == "table-row" and reason.label in row.text
            assert extra.section in ("3", "4")
            if extra.section == "4":  # a role's reason never cites another role's definition
                assert extra.id.rsplit(".", 1)[0] == model.role_passage[role.role].id.rsplit(".", 1)[0]
        assert role.citations[0].id == model.role_passage[role.role].id
    top_reasons = {r.skill: r for r in result.ranking[0].reasons}
    deployment = top_reasons["deployment"]
    assert deployment.effect == "match" and deployment.role_cell.text == "✓✓ (primary goal)"


def test_shares_margin_and_confidence(model):
    clear = fit(
        "I have a PhD in machine learning theory and I love writing papers for NeurIPS. "
        "I don't care much about production systems.",
        model=model,
    )
    assert sum(r.score for r in clear.ranking) == pytest.approx(1.0)
    assert [r.score for r in clear.ranking] == sorted((r.score for r in clear.ranking), reverse=True)
    assert clear.margin == pytest.approx(clear.ranking[0].score - clear.ranking[1].score)
    assert clear.confidence_label == "high" and not clear.close and clear.follow_up is None


@pytest.mark.parametrize(
    ("text", "stance"),
    [
        ("no phd, 6 yrs backend + distributed systems", -1.0),
        ("I don't have a doctorate, but I reproduce papers.", -1.0),
        ("Masters only; I write CUDA kernels.", -1.0),
        ("PhD in ML, two years on a product team.", 1.0),
        ("I'm a postdoc in vision theory.", 1.0),
        ("I love shipping models to customers.", 0.0),
    ],
)
def test_the_degree_a_profile_names(text, stance):
    assert names_doctorate(text) == stance


def test_the_roles_degree_requirements_are_read_from_their_definitions(model):
    # "usually a Ph.D." / "do not require a Ph.D." / "often a Ph.D. or equivalent experience" / nothing said
    assert dict(zip(ROLES, model.doctorate)) == {
        "Research Scientist": 1.0,
        "Research Engineer": -1.0,
        "Applied Scientist": 1.0,
        "ML Engineer": 0.0,
    }


def test_no_doctorate_leans_toward_the_role_that_needs_none(model):
    """Without the degree channel this profile reads as Applied Scientist (research plus strong engineering);
    the paper says Research Engineers "typically do not require a Ph.D." and the other two usually want one."""
    profile = (
        "I don't have a doctorate, but I'm a strong Python engineer who has reproduced a few papers and wants "
        "to join a research group building large models."
    )
    without = get_fit_model(Settings(chroma_url=None).with_group("fit", degree_weight=0.0))
    assert fit(profile, model=without).ranking[0].role == "Applied Scientist"
    assert fit(profile, model=model).ranking[0].role == "Research Engineer"


def test_close_call_asks_the_question_that_separates_the_top_two(model):
    # Table 1 gives Applied Scientists and ML Engineers the same ✓✓ for deployment: a tie.
    result = fit(quiz={"deployment": 4}, model=model)
    assert result.close and result.margin < model.settings.fit.close_margin
    follow_up = result.follow_up
    first, second = result.ranking[0].role, result.ranking[1].role
    assert set(follow_up["between"]) == {first, second} == {"Applied Scientist", "ML Engineer"}
    assert follow_up["cells"][first] != follow_up["cells"][second]
    assert follow_up["skill"] != "deployment"  # ask about something not answered yet
    assert first in follow_up["question"] and second in follow_up["question"]
    # Answering it decides the tie.
    decided = fit(quiz={"deployment": 4, follow_up["skill"]: 4}, model=model)
    assert not decided.close


def test_archetypes_are_a_second_cited_result(model):
    result = fit("I want to originate new methods and evaluation schemes and publish papers.", model=model)
    assert result.archetypes[0]["name"] == "Frontier model labs"
    assert result.archetypes[0]["citation"]["section"] == "6"
    engineer = fit("I want to build reliable data pipelines and serve models under compliance rules.", model=model)
    assert engineer.archetypes[0]["name"] == "Enterprise adopters (Global 2000)"


def test_to_dict_schema(model):
    data = fit(
        "I want to implement papers as running code and set up large-scale training runs.", model=model
    ).to_dict()
    json.dumps(data)  # serialisable
    assert [r["role"] for r in data["ranking"]][0] == "Research Engineer"
    assert {r["role"] for r in data["ranking"]} == set(ROLES)
    for r in data["ranking"]:
        assert {"role", "score", "reasons", "citations"} <= set(r)
        for c in r["citations"] + [c for reason in r["reasons"] for c in reason["citations"]]:
            assert {"id", "text", "section", "start", "end"} <= set(c)
    assert set(data["skills"]) == set(get_fit_model().skill_ids)
    for key in ("confidence", "margin", "follow_up", "needs_more", "message", "archetypes", "quiz"):
        assert key in data


def test_plot_is_a_saveable_figure(model):
    result = fit("I love publishing papers and I hate on-call.", model=model)
    for fig in (plot_fit(result), plot_fit(json.loads(json.dumps(result.to_dict())))):
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        assert buf.getvalue().startswith(PNG_MAGIC)
        assert fig.axes[0].get_title().startswith("Role fit: Research Scientist")
        labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
        assert labels[0] == "You" and labels[1].startswith("Research Scientist")


@pytest.mark.parametrize(
    "question, expected",
    [
        ("Which role fits me?", True),
        ("Should I be an applied scientist?", True),
        ("Am I more of a research engineer or an ML engineer?", True),
        ("I love writing papers and hate on-call, which role should I pick?", True),
        ("Here is my CV, what role suits me?", True),
        ("Do research engineers need a PhD?", False),
        ("What does an applied scientist do?", False),
        ("Which roles publish papers?", False),
        ("How do frontier labs hire?", False),
    ],
)
def test_is_fit_question(question, expected):
    assert is_fit_question(question) is expected


# ---------------------------------------------------------------- profile files


def pdf_bytes(text: str) -> bytes:
    from matplotlib.backends.backend_pdf import FigureCanvasPdf
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 2))
    fig.text(0.02, 0.5, text, fontsize=9)
    buf = io.BytesIO()
    FigureCanvasPdf(fig).print_pdf(buf)
    return buf.getvalue()


PROFILE = "I love publishing papers at NeurIPS and inventing new algorithms. I hate on-call."


def test_reads_txt_and_md():
    assert read_profile_bytes("me.txt", PROFILE.encode("utf-8")) == PROFILE
    assert read_profile_bytes("me.md", ("# Me\n\n- " + PROFILE).encode("utf-8-sig")).endswith(PROFILE)


def test_reads_a_real_pdf(model):
    data = pdf_bytes(PROFILE)
    assert data.startswith(b"%PDF")
    assert read_profile_bytes("cv.pdf", data) == PROFILE
    assert fit_file("cv.pdf", data, model=model).top_role == "Research Scientist"


def test_reads_a_real_docx():
    import docx

    document = docx.Document()
    document.add_paragraph("I want to serve models in production and build data pipelines.")
    table = document.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "Skills"
    table.cell(0, 1).text = "Kubernetes, CI/CD"
    buf = io.BytesIO()
    document.save(buf)
    text = read_profile_bytes("cv.docx", buf.getvalue())
    assert "serve models in production" in text and "Skills | Kubernetes, CI/CD" in text


def test_oversized_file_error_names_the_limit(tmp_path):
    with pytest.raises(ProfileFileError, match="limit is 5 MB"):
        read_profile_bytes("cv.txt", b"a" * (5 * 1024 * 1024 + 1))
    big = tmp_path / "cv.pdf"
    big.write_bytes(b"%PDF-1.4\n" + b"0" * (5 * 1024 * 1024))
    with pytest.raises(ProfileFileError, match="limit is 5 MB"):
        read_profile_path(big)


def test_binary_renamed_pdf_is_rejected():
    with pytest.raises(ProfileFileError, match="not a PDF"):
        read_profile_bytes("cv.pdf", bytes(range(256)) * 64)
    with pytest.raises(ProfileFileError, match="not a .docx"):
        read_profile_bytes("cv.docx", b"\x00\x01binary")
    with pytest.raises(ProfileFileError, match="binary"):
        read_profile_bytes("cv.txt", b"\x00\x01\x02\x03 binary")


def test_encrypted_and_damaged_pdfs_are_rejected():
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(pdf_bytes(PROFILE))))
    writer.encrypt("secret", algorithm="RC4-128")
    buf = io.BytesIO()
    writer.write(buf)
    with pytest.raises(ProfileFileError, match="encrypted"):
        read_profile_bytes("cv.pdf", buf.getvalue())
    with pytest.raises(ProfileFileError, match="not a readable PDF|no readable text"):
        read_profile_bytes("cv.pdf", b"%PDF-1.4\n" + bytes(range(256)) * 8)


def test_unsupported_type_and_empty_file():
    with pytest.raises(ProfileFileError, match="unsupported file type .exe"):
        read_profile_bytes("cv.exe", b"MZ")
    with pytest.raises(ProfileFileError, match="empty"):
        read_profile_bytes("cv.txt", b"  \n")


def test_file_content_is_not_logged(caplog):
    secret = "Zanzibar-7731 unique phrase"
    with caplog.at_level(logging.DEBUG):
        read_profile_bytes("cv.pdf", pdf_bytes(secret))
        with pytest.raises(ProfileFileError) as error:
            read_profile_bytes("cv.pdf", b"%PDF-1.4\n" + secret.encode() * 50)
    assert secret not in caplog.text and secret not in str(error.value)


# ---------------------------------------------------------------- CLI


@pytest.fixture(scope="module")
def cli(model):
    from advisor.cli import app

    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(app, list(args))

    return invoke


def test_cli_fit_json(cli):
    result = cli("fit", "I want to originate new methods at a frontier lab and publish papers.", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["ranking"][0]["role"] == "Research Scientist"
    assert [r["role"] for r in data["ranking"]] and {r["role"] for r in data["ranking"]} == set(ROLES)
    assert isinstance(data["skills"], dict) and "publication" in data["skills"]
    assert all({"role", "score", "reasons"} <= set(r) for r in data["ranking"])


def test_cli_fit_quiz_and_bad_quiz(cli):
    result = cli("fit", "--quiz", "deployment=4", "--quiz", "optimization=4", "--quiz", "publication=0", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["ranking"][0]["role"] == "ML Engineer"
    bad = cli("fit", "--quiz", "publication=9")
    assert bad.exit_code != 0 and "0-4" in bad.output
    assert cli("fit").exit_code != 0  # nothing to go on


def test_cli_fit_file_and_file_errors(cli, tmp_path):
    path = tmp_path / "cv.pdf"
    path.write_bytes(pdf_bytes(PROFILE))
    result = cli("fit", "--file", str(path), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["ranking"][0]["role"] == "Research Scientist"
    fake = tmp_path / "fake.pdf"
    fake.write_bytes(bytes(range(256)) * 16)
    bad = cli("fit", "--file", str(fake), "--json")
    assert bad.exit_code != 0 and "not a PDF" in bad.output and bad.stdout == ""


def test_cli_fit_batch_keeps_order_ids_and_survives_bad_lines(cli, tmp_path):
    batch = tmp_path / "batch.jsonl"
    batch.write_text(
        "\n".join(
            [
                json.dumps({"id": "a", "profile": "I want to publish papers and invent new algorithms."}),
                "{not json",
                json.dumps({"id": "b", "profile": ""}),
                json.dumps({"id": "c", "profile": "I serve models in production.", "quiz": {"cooking": 2}}),
                json.dumps({"id": "d", "profile": "I make a proven model into a reliable low-latency service."}),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    result = cli("fit", "--batch", str(batch), "--json")
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["id"] for line in lines] == ["a", None, "b", "c", "d"]
    assert lines[0]["ranking"][0]["role"] == "Research Scientist"
    assert lines[1]["line"] == 2 and "malformed" in lines[1]["error"] and lines[1]["ranking"] == []
    assert lines[2]["needs_more"] is True and lines[2]["ranking"] == []
    assert "cooking" in lines[3]["error"]
    assert lines[4]["ranking"][0]["role"] == "ML Engineer"
    assert all("skills" in line for line in lines)


def test_cli_fit_plot_writes_png(cli, tmp_path):
    out = tmp_path / "fit.png"
    result = cli("fit", "I love publishing papers.", "--plot", str(out))
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(PNG_MAGIC)


def test_cli_eval_fit(cli):
    result = cli("eval", "fit", "--set", str(DEV_PERSONAS), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["top1"] == 1.0 and data["top2"] == 1.0 and data["personas"] == 4
    missing = cli("eval", "fit", "--set", "nope.jsonl")
    assert missing.exit_code != 0 and "does not exist" in missing.output
