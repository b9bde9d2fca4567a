"""The one settings object: nested by stage, every field an ADVISOR_* variable, documented in the README."""

from __future__ import annotations

from advisor.core.settings import PROJECT_ROOT, Settings, settings_table_markdown

BEGIN, END = "<!-- settings-table:begin -->", "<!-- settings-table:end -->"


def test_readme_settings_table_is_generated_from_the_settings_object():
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    assert BEGIN in readme and END in readme, "README.md lost the settings table markers"
    table = readme.split(BEGIN, 1)[1].split(END, 1)[0].strip()
    assert table == settings_table_markdown(), "README.md is stale: run `make settings-table` and paste the table"


def test_every_field_is_documented():
    for line in settings_table_markdown().splitlines()[2:]:
        assert not line.rstrip().endswith("| None |"), line


def test_environment_variables_reach_nested_groups(monkeypatch):
    monkeypatch.setenv("ADVISOR_TOP_K", "7")
    monkeypatch.setenv("ADVISOR_FIT_TEMPERATURE", "0.25")
    monkeypatch.setenv("ADVISOR_LLM", "none")
    monkeypatch.setenv("ADVISOR_LLM_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("ADVISOR_SUPPORT_THRESHOLD", "0.7")
    monkeypatch.setenv("ADVISOR_UI_PORT", "7999")
    s = Settings()
    assert s.retrieval.top_k == 7 and s.fit.temperature == 0.25 and s.llm.spec == "none"
    assert s.llm.base_url == "http://127.0.0.1:9/v1" and s.grounding.threshold == 0.7 and s.ui.port == 7999


def test_with_group_changes_one_group_only():
    s = Settings()
    t = s.with_group("fit", temperature=0.3)
    assert t.fit.temperature == 0.3 and s.fit.temperature == 0.1 and t.retrieval == s.retrieval
