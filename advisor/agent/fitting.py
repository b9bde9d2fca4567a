"""The role-fit tool in the chat: a personal question ("which role fits me?"), or the self-description that
follows the advisor's request for one, answered by the role-fit engine from the person's own words, every
reason citing the Table 1 row or the Section 3/4 passage it rests on."""

from __future__ import annotations

from collections.abc import Sequence

from ..core.settings import Settings
from ..core.types import Answer, Claim, Evidence, Mode, Origin, Passage
from ..fit import RoleFit, fit, names_doctorate
from ..fit.roles import ROLE_MENTIONS
from ..llm import prompts
from ..qa import assemble, quote_text, rank_sentences


def definition_of(role: str, definitions: Sequence[Passage]) -> list[Passage]:
    """The passages of the paper's definitions (Section 4's bullets, "… — Research Engineer") that define `role`."""
    return [p for p in definitions if ROLE_MENTIONS[role].search(p.context.rsplit("—", 1)[-1])]


def asked_for_profile(history: Sequence[dict]) -> bool:
    """The advisor's last message asked the person to describe themselves."""
    return (
        bool(history)
        and history[-1].get("role") == "assistant"
        and str(history[-1].get("content", "")).startswith(prompts.FIT_NEEDS_PROFILE[:30])
    )


_FIT_LEAD = "From what you describe, "


def self_descriptions(history: Sequence[dict]) -> list[str]:
    """The person's earlier words about themselves: the user turns the advisor answered with a role fit (or a
    request for a profile), not their other questions ("how does Anthropic hire?"), which are no profile."""
    out = []
    for asked, answered in zip(history, history[1:]):
        if asked.get("role") != "user" or answered.get("role") != "assistant":
            continue
        meta = answered.get("metadata") if isinstance(answered.get("metadata"), dict) else {}
        content = str(answered.get("content", ""))
        if meta.get("intent") == "fit" or content.startswith((_FIT_LEAD, prompts.FIT_NEEDS_PROFILE[:30])):
            out.append(str(asked.get("content", "")))
    return out


def current_profile(descriptions: Sequence[str], settings: Settings) -> tuple[str, RoleFit]:
    """The profile the latest description belongs to, and its fit. A description that suffices on its own
    starts a profile of its own ("what if instead I…", "my friend is…"); one that does not adds to the profile
    before it (the reply to the advisor's request for more, "I also mentor interns")."""
    profile, result = "", None
    for description in descriptions:
        alone = fit(description, settings=settings)
        if profile and (alone.needs_more or not alone.ranking):
            profile = f"{profile} {description}"
            result = fit(profile, settings=settings)
        else:
            profile, result = description, alone
    return profile, result


def fit_answer(
    question: str,
    history: Sequence[dict],
    backend_name: str,
    notices: Sequence[str],
    settings: Settings,
    definitions: Sequence[Passage] = (),
    embedder=None,
    about: Sequence[Evidence] = (),
) -> Answer:
    """Answer a fit question with the role-fit engine, from the person's own words in this chat; every
    reason cites the Table 1 row or the Section 3/4 passage it rests on. `definitions`: the paper's role
    definitions (Section 4): the recommended role is then also described in the paper's words, by the
    sentences of its definition closest to the person's profile. `about`: passages of the organisation the
    question asks about ("should I even apply there?"): their sentences that best answer it are quoted last."""
    profile, result = current_profile([*self_descriptions(history), question], settings)
    common = {"question": question, "backend": backend_name, "mode": Mode.FIT, "fit": result}
    if result.needs_more or not result.ranking:
        return Answer(
            answer=prompts.FIT_NEEDS_PROFILE,
            citations=(),
            claims=(),
            grounded=False,
            notices=tuple(list(notices) + [result.message] if result.message else notices),
            **common,
        )
    evidence: list[Evidence] = []

    def cite(passages: Sequence[Passage]) -> tuple[int, ...]:
        """The first passage as a citation number into `evidence` (added on first use)."""
        numbers = []
        for passage in passages[:1]:
            ids = [e.passage.id for e in evidence]
            if passage.id not in ids:
                evidence.append(Evidence(passage, 0.0, ("fit",)))
                ids.append(passage.id)
            numbers.append(ids.index(passage.id) + 1)
        return tuple(numbers)

    claims = [Claim(fit_lead(result), cite(result.ranking[0].citations), 1.0, True, Origin.FIT)]
    # the recommended role in the paper's words: its definition's sentences closest to the profile
    own = definition_of(result.ranking[0].role, definitions)
    if own and embedder is not None:
        ranked = rank_sentences(profile, [Evidence(p, 0.0, ("fit",)) for p in own], embedder, order_bonus=0.0)
        chosen = [(n, sentence) for n, _, sentence, _ in ranked]
        if names_doctorate(profile):
            # the person names a degree ("no phd", "PhD in ML"): what the definition says of degrees leads
            chosen.sort(key=lambda item: not names_doctorate(item[1]))
        for n, sentence in chosen[: settings.fit.definition_sentences]:
            claims.append(Claim(quote_text(sentence), cite([own[n - 1]]), 1.0, True, Origin.QUOTE))
    claims += [
        Claim(reason.text, cite(reason.citations), 1.0, True, Origin.FIT) for reason in result.ranking[0].reasons[:3]
    ]
    if about and embedder is not None:
        ranked = rank_sentences(question, about, embedder, order_bonus=0.0)
        for n, _, sentence, _ in ranked[: settings.agent.organisation_quotes]:
            claims.append(Claim(quote_text(sentence), cite([about[n - 1].passage]), 1.0, True, Origin.QUOTE))
    follow_up = result.follow_up.get("question") if result.close and isinstance(result.follow_up, dict) else None
    if follow_up:
        claims.append(Claim(str(follow_up), (), 1.0, True, Origin.NOTE))
    return assemble(
        question,
        claims,
        evidence,
        grounded=True,
        notices=tuple(notices),
        **{k: v for k, v in common.items() if k != "question"},
    )


def fit_lead(result: RoleFit) -> str:
    top = result.ranking[0]
    runner = result.ranking[1] if len(result.ranking) > 1 else None
    lead = f"{_FIT_LEAD}{top.role} fits best ({top.score:.0%} of the fit)"
    return lead + (f", ahead of {runner.role} ({runner.score:.0%})." if runner else ".")
