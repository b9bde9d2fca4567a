"""The web app in a real browser: Debian's Chromium driven by Playwright against the app served on a free
loopback port (in this process, so a test can make the language model fail on purpose).

The answer pipeline, index, embeddings and fit engine are the real ones. The language model is a scripted
LangChain chat model that streams a fixed draft: the bundled SmolLM2 is too slow on a shared CI core to
stream within a test's patience, and the UI is what is under test here.
"""

from __future__ import annotations

import os
import re
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

from advisor.core.settings import PROJECT_ROOT
from advisor.core.text import strip_markdown

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = PROJECT_ROOT / "docs" / "screenshots"
XSS = "<img src=x onerror=alert(1)>"
QUESTION = "Do research engineers need a PhD?"
# Passage [2] of this question's evidence says this, so the draft survives verification (a grounded answer).
DRAFT = (
    "Research engineer roles do not require a PhD, although publications help [2]. "
    "At Anthropic, neither a PhD nor prior ML experience is required [1]."
)
PARTIAL_MARKER = "Zanzibar"  # a word no answer from the sources contains: only the dying draft says it
PROFILE = (
    "I love building distributed training infrastructure and scaling GPU clusters. I write production code "
    "every day, care about reliability and latency, and I have no interest in publishing papers."
)


# The scripted model can pause mid-draft until the test has seen the partial draft on the page, so what
# the browser must show in between does not depend on how fast this machine is.
STREAM_RESUME = threading.Event()


class ScriptedChatModel(BaseChatModel):
    """Streams `reply` word by word, like a local model. With pause_after=n it stops after n words until
    STREAM_RESUME is set, then goes on, or raises if die_at_pause (a backend that hangs and dies)."""

    reply: str = DRAFT
    pause_after: int | None = None
    die_at_pause: bool = False

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def _generate(self, messages: list[BaseMessage], stop=None, run_manager=None, **kwargs: Any) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=self.reply))])

    def _stream(
        self, messages: list[BaseMessage], stop=None, run_manager=None, **kwargs: Any
    ) -> Iterator[ChatGenerationChunk]:
        reply = f"{PARTIAL_MARKER} engineers always need three doctorates and" if self.die_at_pause else self.reply
        for i, word in enumerate(re.findall(r"\S+\s*", reply)):
            if i == self.pause_after:
                STREAM_RESUME.wait(timeout=60)
                if self.die_at_pause:
                    raise ConnectionResetError("the language model backend died")
            yield ChatGenerationChunk(message=AIMessageChunk(content=word))


class PausedStream:
    """Within the block the model pauses after `words` words (and dies there if `die`); resume() lets it go on."""

    def __init__(self, model: ScriptedChatModel, words: int, die: bool = False):
        self.model, self.words, self.die = model, words, die

    def __enter__(self):
        STREAM_RESUME.clear()
        self.model.pause_after, self.model.die_at_pause = self.words, self.die
        return self

    def resume(self) -> None:
        STREAM_RESUME.set()

    def __exit__(self, *exc) -> None:
        self.model.pause_after, self.model.die_at_pause = None, False
        STREAM_RESUME.set()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def chromium() -> Path:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: the browser tests need Debian's Chromium "
            "(apt-get update && apt-get install -y chromium; .ci/run does this in CI)."
        )
    return CHROMIUM


@pytest.fixture(scope="module")
def app(settings, tmp_path_factory):
    from advisor.chat import ChatEngine
    from advisor.qa import AnswerEngine
    from ui.app import build_app
    from ui.library import Library
    from ui.serving import launch

    upload_dir = tmp_path_factory.mktemp("uploads")
    previous = os.environ.get("GRADIO_TEMP_DIR")
    os.environ["GRADIO_TEMP_DIR"] = str(upload_dir)  # Gradio's upload cache, so the test can inspect it
    model = ScriptedChatModel()
    engine = ChatEngine(AnswerEngine(settings, llm=model, backend_name="scripted"))
    library = Library(settings, engine.stream)
    demo = build_app(settings, library=library)
    port = free_port()
    launch(demo, settings, "127.0.0.1", port, block=False)
    yield SimpleNamespace(
        url=f"http://127.0.0.1:{port}/", model=model, engine=engine, upload_dir=upload_dir, demo=demo, library=library
    )
    demo.close()
    if previous is None:
        os.environ.pop("GRADIO_TEMP_DIR", None)
    else:
        os.environ["GRADIO_TEMP_DIR"] = previous


@pytest.fixture(scope="module")
def browser(chromium):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Session:
    """One browser context (its own cookies and Gradio session) on the app, recording dialogs and requests."""

    def __init__(self, browser, url: str):
        self.context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        self.page = self.context.new_page()
        self.dialogs: list[str] = []
        self.joins: list[str] = []  # requests that put an event on the server's queue
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.on("request", lambda r: self.joins.append(r.url) if "/queue/join" in r.url else None)
        self.page.goto(url)
        self.page.wait_for_selector("#message textarea")

    def ask(self, question: str) -> None:
        answered = self.page.locator("#chat .answer:not(.pending)").count()
        self.page.fill("#message textarea", question)
        self.page.click("button#send")
        self.page.wait_for_function(
            f"document.querySelectorAll('#chat .answer:not(.pending)').length > {answered}", timeout=60_000
        )

    def last_answer(self):
        return self.page.locator("#chat .answer:not(.pending)").last

    def user_texts(self) -> list[str]:
        return [e.inner_text() for e in self.page.query_selector_all("#chat .user-text")]

    def open_tab(self, name: str) -> None:
        self.page.get_by_role("tab", name=name).click()

    def screenshot(self, name: str, tmp_path: Path, full_page: bool = False) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for folder in (tmp_path, SCREENSHOTS):
            self.page.screenshot(path=str(folder / name), full_page=full_page)

    def close(self) -> None:
        self.context.close()


@pytest.fixture()
def session(browser, app):
    s = Session(browser, app.url)
    yield s
    s.close()


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", strip_markdown(text)).strip()


# ---------------------------------------------------------------- chat


def test_streamed_answer_and_its_first_citation_open_the_passage(app, session, tmp_path):
    expected = app.engine.ask(QUESTION).citations[0].evidence.passage
    page = session.page
    with PausedStream(app.model, words=5) as stream:
        page.fill("#message textarea", QUESTION)
        page.click("button#send")
        page.wait_for_selector("#chat .answer.pending .draft:has-text('Research engineer roles')", timeout=60_000)
        # the verified evidence answer is already shown above the draft while the model writes
        assert page.locator("#chat .answer.pending .preview .claim.quote").count() >= 1
        stream.resume()
        page.wait_for_selector("#chat .answer:not(.pending) a.cite", timeout=60_000)
    first_chip = session.last_answer().locator("a.cite").first
    assert first_chip.inner_text() == "[1]"
    first_chip.click()
    panel = page.locator("#chat-evidence")
    panel.locator("mark.ev-span").wait_for(timeout=15_000)
    assert normalise(panel.locator("mark.ev-span").inner_text()) == normalise(expected.text)
    assert expected.title in panel.inner_text()
    assert panel.locator(".badge").count() == 1  # the sentence's support badge
    session.screenshot("chat.png", tmp_path)


def test_backend_dying_mid_stream_leaves_the_evidence_answer_with_a_note(app, session):
    page = session.page
    with PausedStream(app.model, words=4, die=True) as stream:
        page.fill("#message textarea", QUESTION)
        page.click("button#send")
        page.wait_for_selector(f"#chat .answer.pending .draft:has-text('{PARTIAL_MARKER}')", timeout=60_000)
        stream.resume()
        page.wait_for_selector("#chat .answer:not(.pending)", timeout=60_000)
    final = session.last_answer()
    assert PARTIAL_MARKER not in final.inner_text()
    assert "language model was unavailable" in final.inner_text()
    assert final.locator("a.cite").count() >= 1


def test_a_question_the_sources_do_not_cover_is_refused_with_related_reading(session):
    session.ask("How do I bake sourdough bread?")
    answer = session.last_answer()
    assert "mode-not-covered" in answer.get_attribute("class")
    assert answer.locator("a.cite:not(.related)").count() == 0  # nothing is cited as support
    related = answer.locator(".related a.cite.related")
    assert related.count() >= 1
    related.first.click()
    session.page.wait_for_selector("#chat-evidence .ev-note:has-text('Related reading')")


def test_the_plan_is_shown_collapsed_under_an_answer(session):
    session.ask("According to Table 1, which role has publication as its primary output?")
    answer = session.last_answer()
    steps = answer.locator("details.steps")
    assert steps.count() == 1 and "Table 1" in steps.locator("summary").inner_text()
    assert not steps.locator(".step-list").is_visible()  # collapsed until opened
    steps.locator("summary").click()
    assert "table1" in steps.locator(".step-list").inner_text()
    assert "Research Scientist" in answer.inner_text()


PLAN_RESUME = threading.Event()


@pytest.fixture(scope="module")
def agent_app(settings):
    """The app with a tool-calling model behind it: a scripted OpenAI-compatible server over real HTTP that
    searches, then waits (PLAN_RESUME) before it reads Table 1 and answers from the statement it got."""
    from advisor.chat import ChatEngine
    from advisor.qa import AnswerEngine
    from tests.llm_servers import Reply, ScriptedLLM, tool_texts
    from ui.app import build_app
    from ui.library import Library
    from ui.serving import launch

    def script(body, n):
        tools = tool_texts(body)
        if not tools:
            return Reply(tool_calls=[("search_passages", {"query": "publication as primary output"})])
        if len(tools) == 1:
            PLAN_RESUME.wait(timeout=60)
            return Reply(tool_calls=[("table1", {"request": "publication", "roles": []})])
        statement = re.search(r"^- (.+?) ((?:\[\d+\])+)$", tools[-1], re.M)
        return Reply(content=f"{statement.group(1)} {statement.group(2)}." if statement else "Nothing.")

    server = ScriptedLLM(script)
    s = settings.with_group("llm", base_url=server.openai_url)
    engine = ChatEngine(AnswerEngine(s, llm="openai:scripted"))
    demo = build_app(s, library=Library(s, engine.stream))
    port = free_port()
    launch(demo, s, "127.0.0.1", port, block=False)
    yield SimpleNamespace(url=f"http://127.0.0.1:{port}/", server=server)
    demo.close()
    server.close()


def test_a_planning_model_shows_its_calls_and_the_offline_answer_while_it_works(agent_app, browser):
    session = Session(browser, agent_app.url)
    page = session.page
    PLAN_RESUME.clear()
    try:
        page.fill("#message textarea", "According to Table 1, which role has publication as its primary output?")
        page.click("button#send")
        # while the model plans: its first call in the status line, the offline answer above it
        page.wait_for_selector("#chat .answer.pending .status:has-text('search_passages')", timeout=60_000)
        assert page.locator("#chat .answer.pending .preview .claim").count() >= 1
        PLAN_RESUME.set()
        page.wait_for_selector("#chat .answer:not(.pending) a.cite", timeout=60_000)
        answer = session.last_answer()
        assert "Research Scientist" in answer.inner_text()
        steps = answer.locator("details.steps")
        assert "Planned by the model" in steps.locator("summary").inner_text()
        steps.locator("summary").click()
        listed = steps.locator(".step-list").inner_text()
        assert "calls table1(" in listed and "backend=openai:scripted" in listed
    finally:
        PLAN_RESUME.set()
        session.close()


def test_the_page_says_the_models_are_loading_until_they_are(app, browser):
    app.library.models_status = "loading"  # what `advisor serve` sets until its warm-up thread is done
    session = Session(browser, app.url)
    try:
        note = session.page.locator("#models-note")
        note.get_by_text("Loading the models").wait_for(timeout=10_000)
        app.library.models_status = "ready"
        session.page.wait_for_function(
            "!document.querySelector('#models-note').innerText.includes('Loading')", timeout=10_000
        )
    finally:
        app.library.models_status = "not-loaded"
        session.close()


def test_empty_message_sends_nothing_and_shows_a_hint(session):
    page = session.page
    page.wait_for_timeout(500)  # let the page finish its own start-up requests
    session.joins.clear()
    page.fill("#message textarea", "   ")
    page.click("button#send")
    page.wait_for_selector("#message-hint:has-text('Type a question first')")
    page.press("#message textarea", "Enter")
    # A real question afterwards is the only thing that reaches the server's queue.
    session.ask(QUESTION)
    assert len(session.joins) == 1
    assert session.user_texts() == [QUESTION]


def test_overlong_message_is_cut_with_a_notice(app, session):
    long_message = ("How do research engineers and research scientists divide their work? " * 300)[:20_000]
    session.ask(long_message)
    [shown] = session.user_texts()
    assert len(shown) <= app.engine.settings.ui.max_message_chars
    assert "only the first" in session.last_answer().inner_text()


def test_markup_in_a_question_is_shown_as_text_and_runs_nothing(session):
    session.ask(XSS)
    assert session.user_texts() == [XSS]
    assert session.page.locator("#chat img[src='x']").count() == 0
    assert session.dialogs == []


def test_conversation_memory_new_chat_and_markdown_export(session):
    page = session.page
    session.ask(QUESTION)
    session.ask("And what about research scientists?")
    assert len(session.user_texts()) == 2
    with page.expect_download() as download:
        page.click("button#export")
    exported = Path(download.value.path()).read_text(encoding="utf-8")
    assert f"## 1. {QUESTION}" in exported and "## 2. And what about research scientists?" in exported
    assert "**Sources**" in exported and re.search(r"^- \[1\] ", exported, re.M)
    page.click("button#new-chat")
    page.wait_for_function("document.querySelectorAll('#chat .user-text').length === 0")
    assert "Click a citation" in page.inner_text("#chat-evidence")


def test_example_questions_are_offered_on_first_load_and_answer_when_clicked(session):
    page = session.page
    example = page.get_by_text("Which skills do all four roles share?")
    example.click()
    page.wait_for_selector("#chat .answer:not(.pending)", timeout=60_000)
    assert session.user_texts() == ["Which skills do all four roles share?"]


def test_a_fit_question_in_the_chat_shows_the_fit_inline(session):
    session.ask(f"Which role fits me? {PROFILE}")
    answer = session.last_answer()
    assert "mode-fit" in answer.get_attribute("class")
    assert answer.locator(".fit-role-name").count() == 4
    assert answer.locator("img.fit-chart").count() == 1
    answer.locator("a.cite").first.click()
    session.page.locator("#chat-evidence mark.ev-span").wait_for(timeout=15_000)


# ---------------------------------------------------------------- role fit


def test_role_fit_tab_ranks_roles_with_a_chart_and_cited_reasons(session, tmp_path):
    page = session.page
    session.open_tab("Role fit")
    page.fill("#profile textarea", PROFILE)
    page.click("button#find-role")
    page.wait_for_selector("#fit-result .fit-ranking", timeout=60_000)
    roles = [e.inner_text() for e in page.query_selector_all("#fit-result .fit-role-name")]
    assert sorted(roles) == ["Applied Scientist", "ML Engineer", "Research Engineer", "Research Scientist"]
    page.wait_for_selector("#fit-chart img, #fit-chart svg, #fit-chart canvas", timeout=30_000)
    page.locator("#fit-result a.cite").first.click()
    page.locator("#fit-evidence mark.ev-span").wait_for(timeout=15_000)
    session.screenshot("role-fit.png", tmp_path, full_page=True)


def test_the_quiz_has_one_control_per_table_1_skill_and_ranks_on_its_own(app, session):
    from advisor.corpus import PAPER_FILE, read_text
    from advisor.fit import parse_table1

    rows = parse_table1(read_text(app.engine.settings.corpus_dir / PAPER_FILE)).rows
    page = session.page
    session.open_tab("Role fit")
    page.get_by_text("Quiz: one question per Table 1 skill").click()
    page.locator(f"#quiz-{rows[-1].id}").wait_for()
    assert page.locator("[id^=quiz-]").count() == len(rows)
    for row, level in zip(rows, (4, 4, 0, 0, 1, 4, 1, 4, 0)):
        page.locator(f"#quiz-{row.id}").get_by_text(str(level), exact=True).click()
    page.click("button#find-role")
    page.wait_for_selector("#fit-result .fit-ranking", timeout=60_000)


def test_markup_in_a_profile_and_a_cv_is_shown_as_text(session):
    page = session.page
    session.open_tab("Role fit")
    page.fill("#profile textarea", f"{PROFILE} {XSS}")
    page.set_input_files(
        "#cv input[type=file]",
        files=[{"name": "cv.txt", "mimeType": "text/plain", "buffer": f"Curriculum vitae {XSS}\n{PROFILE}".encode()}],
    )
    page.wait_for_selector("#cv .file-preview, #cv table, #cv a", timeout=15_000)
    page.click("button#find-role")
    page.wait_for_selector("#fit-result .profile-preview", timeout=60_000)
    assert XSS in page.inner_text("#fit-result .profile-preview")
    assert page.locator("#fit-result img[src='x']").count() == 0
    assert session.dialogs == []


def test_oversized_and_binary_uploads_get_a_clear_error_and_the_app_keeps_working(session, tmp_path):
    page = session.page
    session.open_tab("Role fit")
    big = tmp_path / "big-cv.pdf"
    with open(big, "wb") as fh:
        fh.truncate(50 * 1024 * 1024)
    page.set_input_files("#cv input[type=file]", str(big))
    page.wait_for_selector("text=exceed the maximum allowed size", timeout=15_000)

    page.set_input_files(
        "#cv input[type=file]",
        files=[{"name": "cv.pdf", "mimeType": "application/pdf", "buffer": bytes(range(256)) * 64}],
    )
    page.wait_for_selector("#cv .file-preview, #cv table, #cv a", timeout=15_000)
    page.click("button#find-role")
    page.wait_for_selector("#fit-result .fit-error", timeout=30_000)
    assert "cv.pdf" in page.inner_text("#fit-result .fit-error")

    page.fill("#profile textarea", PROFILE)
    page.click("button#find-role")
    page.wait_for_selector("#fit-result .fit-ranking", timeout=60_000)


# ---------------------------------------------------------------- sessions


def test_two_sessions_never_see_each_others_history_or_upload(app, browser):
    marker = "Quetzalcoatl-4471"
    first, second = Session(browser, app.url), Session(browser, app.url)
    try:
        first.ask("How do Anthropic and OpenAI structure research and engineering roles?")
        first.open_tab("Role fit")
        first.page.set_input_files(
            "#cv input[type=file]",
            files=[{"name": "cv.txt", "mimeType": "text/plain", "buffer": f"{marker}. {PROFILE}".encode()}],
        )
        first.page.wait_for_selector("#cv .file-preview, #cv table, #cv a", timeout=15_000)
        first.page.click("button#find-role")
        first.page.wait_for_selector("#fit-result .profile-preview", timeout=60_000)
        assert marker in first.page.inner_text("#fit-result")

        second.ask("Which skills do all four roles share?")
        assert second.user_texts() == ["Which skills do all four roles share?"]
        assert first.user_texts() == ["How do Anthropic and OpenAI structure research and engineering roles?"]
        second.open_tab("Role fit")
        assert marker not in second.page.inner_text("body")
        with second.page.expect_download() as download:
            second.open_tab("Chat")
            second.page.click("button#export")
        exported = Path(download.value.path()).read_text(encoding="utf-8")
        assert "Anthropic and OpenAI" not in exported and marker not in exported
        # The upload was read in memory and its temporary file (in Gradio's upload cache) deleted.
        assert Path(app.demo.GRADIO_CACHE) == app.upload_dir
        leftovers = [p for p in app.upload_dir.rglob("*") if p.is_file() and marker.encode() in p.read_bytes()]
        assert leftovers == []
    finally:
        first.close()
        second.close()


# ---------------------------------------------------------------- evidence explorer


def test_explorer_shows_references_of_citing_sentences_with_their_source_text(app, browser, tmp_path):
    app.library.load_audit()  # `advisor serve` runs this in a background thread; cached per index generation
    assert app.library.audit_status == "ready"
    session = Session(browser, app.url)  # a page opened after the audit, as a user would see it
    try:
        page = session.page
        session.open_tab("Evidence explorer")
        page.wait_for_selector("#paper-view .citing-list")
        page.click("#section input")
        page.get_by_role("option", name=re.compile(r"§2 Hybrid Roles")).click()
        page.wait_for_selector("#paper-view h3:has-text('Hybrid Roles')")
        assert page.locator("#paper-view .cs-refs .verdict").count() >= 1  # the citation audit's verdicts
        panel = page.locator("#reference-panel")
        page.locator("#paper-view .citing-list a.cite[href='#ref-3']").first.click()
        panel.locator(".ref-nosource").wait_for(timeout=15_000)
        assert "No source text is available" in panel.inner_text()
        page.locator("#paper-view a.cite[href='#ref-4']").first.click()
        panel.locator(".ref-source").wait_for(timeout=15_000)
        assert "depends a little more on the team" in panel.inner_text()  # the source text held for [4]
        page.evaluate("window.scrollTo(0, 0)")
        session.screenshot("evidence-explorer.png", tmp_path)
    finally:
        session.close()
