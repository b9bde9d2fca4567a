"""Conversation state: what earlier turns were about, so a follow-up resolves through it.

"Who wrote it?" after a question about reference 4 is about reference 4; "And for applied scientists?"
after a Table 1 question is a Table 1 question about applied scientists. The state holds the entities of
each turn (roles, organisations, reference numbers), the intent and tool of the last turn and the passages
it cited; the planner fills what a follow-up leaves out from it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from ..core.text import content_words, sentence_spans, strip_citations
from ..corpus import Reference
from ..fit.roles import ROLE_MENTIONS, ROLES
from ..llm import prompts
from ..qa.coverage import focus_words

# "reference 11", "ref. 11", "[11]", "source 11", "citation 11", "refs 13-15", "refs 19 and 20", "[17, 18]",
# "refs 28 through 31", and a bare range of numbers called one ("in that 21-24 range")
_RANGE_WORD = r"(?:[-–]|to|through|thru)"
_REFERENCE_NUMBER = re.compile(
    r"(?:\b(?:references?|refs?\.?|sources?|citations?|entry|entries|item)\s*(?:no\.?|number|#)?\s*"
    rf"|\[)(\d{{1,2}}(?:\s*(?:{_RANGE_WORD}|[,&]|and)\s*\d{{1,2}}\b)*)\]?"
    rf"|\b(\d{{1,2}}\s*{_RANGE_WORD}\s*\d{{1,2}})\s+range\b",
    re.I,
)
_NUMBER_OR_RANGE = re.compile(rf"(\d{{1,2}})(?:\s*{_RANGE_WORD}\s*(\d{{1,2}}))?", re.I)
_ORDINAL_REFERENCE = re.compile(
    r"\b(first|second|third|fourth|last|1st|2nd|3rd|4th)"
    r"(?:\s+(?:one|reference|source|citation|paper|work|of (?:those|them|these))\b|\s*\?)",  # "and the third?"
    re.I,
)
_ORDINALS = {"first": 0, "second": 1, "third": 2, "fourth": 3, "last": -1, "1st": 0, "2nd": 1, "3rd": 2, "4th": 3}


def organisation_names(references: Mapping[int, Reference]) -> dict[str, str]:
    """Surface form -> organisation, from the references whose author is an organisation ("Google DeepMind",
    "Amazon"): a one-word-or-brand author without personal initials. "DeepMind" alone names Google DeepMind."""
    names: dict[str, str] = {}
    for ref in references.values():
        if len(ref.authors) != 1:
            continue
        author = ref.authors[0].removesuffix(".com")
        if ref.kind in ("job-posting", "web-page") or author in ref.title or author in ref.venue:
            names[author] = author
            for word in author.split()[1:]:
                names.setdefault(word, author)
    for ref in references.values():  # brands named in titles ("Meta/Facebook") that the index also knows
        for brand in re.findall(r"\b([A-Z][a-z]+)/([A-Z][a-z]+)\b", ref.title):
            if brand[0] in names:
                names.setdefault(brand[1], names[brand[0]])
    return names


@dataclass(frozen=True)
class Entities:
    roles: tuple[str, ...] = ()
    organisations: tuple[str, ...] = ()
    references: tuple[int, ...] = ()
    ordinal: int | None = None  # "the second one": an index into the previous turn's references

    def __bool__(self) -> bool:
        return bool(self.roles or self.organisations or self.references)


def find_entities(text: str, organisations: Mapping[str, str], valid_refs: Iterable[int]) -> Entities:
    """The roles, organisations and reference numbers a text names, in order of appearance."""
    valid = set(valid_refs)
    roles = sorted((m.start(), role) for role, pattern in ROLE_MENTIONS.items() for m in [pattern.search(text)] if m)
    orgs: list[tuple[int, str]] = []
    for surface, org in organisations.items():
        match = _organisation_pattern(surface).search(text)
        if match and org not in [o for _, o in orgs]:
            orgs.append((match.start(), org))
    refs: list[int] = []
    for match in _REFERENCE_NUMBER.finditer(text):
        for part in _NUMBER_OR_RANGE.finditer(match.group(1) or match.group(2)):
            low = int(part.group(1))
            high = int(part.group(2)) if part.group(2) else low
            for n in range(low, min(high, low + 10) + 1):
                if n in valid and n not in refs:
                    refs.append(n)
    # "and the third?" asks for an item, "how long did it last?" does not
    ordinal = next(
        (
            m
            for m in _ORDINAL_REFERENCE.finditer(text)
            if not m.group(0).endswith("?") or re.search(r"\bthe\s+$", text[: m.start()], re.I)
        ),
        None,
    )
    return Entities(
        roles=tuple(dict.fromkeys(r for _, r in roles)),
        organisations=tuple(o for _, o in sorted(orgs)),
        references=tuple(refs),
        ordinal=_ORDINALS[ordinal.group(1).lower()] if ordinal else None,
    )


def _organisation_pattern(surface: str) -> re.Pattern:
    """A name as people type it, in any case ("amazon"), but not as part of a hyphenated word ("meta-learning")."""
    return re.compile(rf"(?<![\w-]){re.escape(surface)}(?![\w-])", re.I)


def role_alone(text: str) -> str | None:
    """The one role a question is about when it asks nothing else of it ("what does an MLE typically do?",
    "what do ML engineers do day to day?"): no word besides the role's name and the words that ask or frame a
    question ("do REs get to publish?" asks about publishing)."""
    roles = [role for role, pattern in ROLE_MENTIONS.items() if pattern.search(text)]
    if len(roles) != 1:
        return None
    rest = ROLE_MENTIONS[roles[0]].sub(" ", text)
    return None if focus_words(rest) else roles[0]


def without_role_names(text: str) -> str:
    """The text with the roles' names taken out: every work the paper cites is about the roles, so a role's name
    ("who is that research engineer?") describes none of them."""
    for pattern in ROLE_MENTIONS.values():
        text = pattern.sub(" ", text)
    return text


def names_only(text: str, organisations: Mapping[str, str], works: Iterable[str] = ()) -> bool:
    """Whether a question's own words are names of roles, organisations or cited works and nothing else ("and
    ML engineers?", "what about at amazon?", "and ZeRO?"): it asks the previous question again of them."""
    rest = without_role_names(text)
    names = sorted({*organisations, *works}, key=len, reverse=True)  # "Megatron-LM" before "Megatron"
    for pattern in map(_organisation_pattern, names):
        rest = pattern.sub(" ", rest)
    return rest != text and not content_words(rest)


@dataclass(frozen=True)
class Turn:
    question: str
    intent: str
    entities: Entities
    tool: str = ""
    cited_refs: tuple[int, ...] = ()  # references the answer was about (looked up, checked or cited)
    section: str = ""
    answer: str = ""  # the answer's text: a follow-up does not ask for the same sentences again
    answer_role: str = ""  # the one role the answer led with when the question named none ("ML Engineer fits best")
    refused: bool = False  # answered "not covered": a follow-up keeps its names, not what it asked


@dataclass(frozen=True)
class ConversationState:
    turns: tuple[Turn, ...] = field(default=())

    @property
    def last(self) -> Turn | None:
        return self.turns[-1] if self.turns else None

    def with_turn(self, turn: Turn) -> ConversationState:
        return replace(self, turns=(*self.turns, turn)[-8:])

    def role_in_focus(self) -> str:
        """The role the conversation is about when the last question named none: the role an answer led with
        ("ML Engineer fits best"), kept through later turns that name no role ("what tools would I use?")."""
        for turn in reversed(self.turns):
            if turn.intent == "fit" and turn.answer_role:
                return turn.answer_role  # "RS or AS?" answered "Applied Scientist fits best": the role in focus
            if turn.entities.roles:
                return turn.entities.roles[0] if len(turn.entities.roles) == 1 and turn is not self.last else ""
            if turn.answer_role:
                return turn.answer_role
        return ""

    def other_roles(self, text: str) -> tuple[str, ...]:
        """The roles a follow-up asks about by contrast ("and the other three roles?", "what about the rest?"):
        every role but the ones the conversation was about; () when it asks no such thing."""
        if not _OTHER_ROLES.search(text):
            return ()
        earlier = self.recent("roles") or ((self.role_in_focus(),) if self.role_in_focus() else ())
        return tuple(role for role in ROLES if role not in earlier) if earlier else ()

    def listed(self, ordinal: int) -> tuple[int, ...]:
        """The works "the second one" picks from: the latest turn's, unless it holds too few, then the latest
        turn that listed enough ("and the second one's headline result?" after "which papers are cited for RLHF?"
        and a turn about the first of them). An ordinal picks from a list: "and the first one?" after a turn
        about the second of two works is the first of those two, not the one work of the latest turn."""
        enough = max(2, ordinal + 1)
        latest = self.recent("references")
        if len(latest) >= enough:
            return latest
        for turn in reversed(self.turns):
            works = turn.cited_refs or turn.entities.references
            if len(works) >= enough:
                return works
        return latest

    def of_year(self, years: set[int], references: Mapping[int, Reference]) -> int | None:
        """ "the 2017 one": the one work of a year the question names among those the latest turn that listed
        several works of different years listed; None when no such turn holds exactly one."""
        for turn in reversed(self.turns):
            works = turn.cited_refs or turn.entities.references
            dated = [n for n in works if n in references and references[n].year in years]
            if len(dated) == 1 and len(works) > 1:
                return dated[0]
        return None

    def recent(self, attribute: str) -> tuple:
        """The most recent non-empty entity list of that kind ("roles", "organisations", "references"). The works
        a role fit quoted for its reasons are not what the conversation is about ("which source says RSs and REs
        can be equal contributors?" after a fit that quoted Lakshman's post asks of none of them)."""
        for turn in reversed(self.turns):
            values = getattr(turn.entities, attribute)
            if attribute == "references" and turn.cited_refs and turn.intent != "fit":
                return turn.cited_refs
            if values:
                return values
        return ()


# "the other three roles", "the remaining ones", "the rest", "the others"
_OTHER_ROLES = re.compile(
    r"\b(?:other|remaining)\s+(?:two|three|2|3|(?:\w+\s+)?(?:roles|ones|columns|titles|jobs))\b"
    r"|\bthe\s+(?:others|rest)\b",
    re.I,
)

# what a follow-up calls a role it does not name: "that role", "people in this job", "they", "their", "it"
_ROLE_NOUN = r"(?:that|this|the same) (?:role|job|title|position)\b"
_ROLE_REFERENCE = re.compile(rf"\b((?:people|those) in )?{_ROLE_NOUN}|\b(they|them|their|it|its)\b", re.I)
_ROLE_NOUN_REFERENCE = re.compile(rf"\b{_ROLE_NOUN}", re.I)


def refers_to_a_role(text: str) -> bool:
    """Whether a question points back at a role by a noun ("that role", "this job"), which, unlike "they", is
    never one the question itself names ("code optimization for that role vs research engineers?")."""
    return bool(_ROLE_NOUN_REFERENCE.search(text))


def leading_role(answer: str) -> str:
    """The role an answer leads with: the first its first sentence names ("From what you describe, ML Engineer
    fits best, ahead of ..."); "" when it names none."""
    spans = sentence_spans(strip_citations(answer))
    first = answer[: spans[0][1]] if spans else answer
    roles = find_entities(first, {}, ()).roles
    return roles[0] if roles else ""


def resolve_role_reference(question: str, role: str, it_too: bool = True) -> str:
    """The follow-up with its first reference to a role replaced by the role ("what do they earn?" ->
    "what do Research Engineers earn?"); the question unchanged when it refers to none. `it_too`: "it" may
    name the role (after a role fit: "does it need a PhD?"); otherwise "it" is the paper or a source ("it
    leans on Anthropic for that, right?")."""

    def name(match: re.Match) -> str:
        word = (match.group(2) or "").lower()
        if word in ("it", "its") and not it_too:
            return match.group(0)  # and the rest is left as it is: the first pronoun says what is talked about
        if word in ("they", "them") or match.group(1):  # "people in that role" are the role's people
            return f"{role}s"
        if word in ("their", "its"):
            return f"the {role}'s"
        return f"the {role} role" if word != "it" else role

    return _ROLE_REFERENCE.sub(name, question, count=1)


def state_from_history(
    history: Sequence[dict], organisations: Mapping[str, str], valid_refs: Iterable[int]
) -> ConversationState:
    """Rebuild the state from a chat history (the UI and the CLI keep messages, not state objects): user
    turns give their entities, an assistant turn's metadata (if present) its intent, tool and references."""
    valid = list(valid_refs)
    state = ConversationState()
    pending: Turn | None = None
    for message in history or []:
        role, content = message.get("role"), str(message.get("content") or "")
        if role == "user":
            if pending is not None:
                state = state.with_turn(pending)
            pending = Turn(content, "", find_entities(content, organisations, valid))
        elif role == "assistant" and pending is not None:
            meta = message.get("metadata") if isinstance(message.get("metadata"), dict) else {}
            cited = tuple(int(n) for n in meta.get("refs", ()) if str(n).isdigit())
            if not cited and "refs" not in meta:
                # a history without our metadata: the answer text names the references it is about ("Reference 4
                # is ..."); with it, an empty list means the answer was about none, whoever its quotations name
                cited = find_entities(strip_citations(content), organisations, valid).references
            intent = str(meta.get("intent", ""))
            # an answer about a work (a reference, a claim check) leads with the work, whatever role its
            # first quoted sentence names: "it" in the next turn is that work, not the role
            about_a_work = intent in ("reference", "claim_check")
            # the role a question naming none was resolved to ("does that role need a PhD?") is what it was about,
            # whichever role the answer's first quote names
            resolved_roles = [str(r) for r in meta.get("roles", ()) if r in ROLES]
            role_of_answer = (
                ""
                if pending.entities.roles or about_a_work
                else resolved_roles[0]
                if len(resolved_roles) == 1
                else leading_role(content)
            )
            pending = replace(
                pending,
                intent=intent,
                tool=str(meta.get("tool", "")),
                cited_refs=cited,
                section=str(meta.get("section", "")),
                answer=content,
                # a role fit's answer names the role that fits, whatever roles the question weighed ("RS or AS?")
                answer_role=leading_role(content) if intent == "fit" else role_of_answer,
                refused=bool(meta.get("refused", content.startswith(prompts.NOT_COVERED))),
            )
    if pending is not None:
        state = state.with_turn(pending)
    return state


__all__ = [
    "ROLES",
    "ConversationState",
    "Entities",
    "Turn",
    "find_entities",
    "leading_role",
    "organisation_names",
    "resolve_role_reference",
    "state_from_history",
]
