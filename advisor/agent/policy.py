"""The offline policy (bundled model or none): plan with the learned intent model, run the tools, decide
answerability with the calibrated model, compose the answer, record every step.

    question + conversation state
      -> intent (IntentModel) + entities (roles, organisations, reference numbers; missing ones from the state)
      -> tools: a passage search always (evidence and answerability features), plus the intent's own tool
      -> P(covered) (AnswerabilityModel) -> refuse, or
      -> compose: the tool's verified statements, else the answer engine's draft/verify/quote pipeline
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from ..audit.polarity import FIRST_PERSON
from ..core.cache import OnceCache
from ..core.jsonl import load_jsonl
from ..core.stored import code_fingerprint, stored_arrays
from ..core.text import content_words, normalize_ws, strip_citations, words_of
from ..core.types import Answer, Claim, Evidence, Mode, Origin, Passage, PassageKind, Step
from ..corpus import source_ref
from ..grounding import encode_cached, remember_vectors
from ..llm import prompts
from ..qa import (
    AnswerEngine,
    Focus,
    assemble,
    condense_question,
    looks_like_follow_up,
    prepare_question,
    quote_text,
    rank_sentences,
)
from ..qa.engine import Stopwatch
from .answerability import AnswerabilityModel, features
from .composer import compose_tool_answer
from .fitting import asked_for_profile, fit_answer
from .planner import INTENTS, TOOL_INTENTS, IntentModel, data_key, load_examples, training_file
from .references import (
    YEAR,
    an_organisation_speaks,
    asks_a_field,
    asks_about_the_author,
    asks_another_work,
    asks_cited,
    asks_cited_beside,
    by_age_asked,
    describes_a_work,
    entry_number,
    names_a_document,
    names_a_topic,
    work_alone,
)
from .results import Reading, ToolResult, returned_passage_ids
from .sections import (
    ASKS_WHERE,
    NAMED_SHARE,
    archetype_quoted,
    calls_back_a_part,
    describes_a_figure,
    name_words,
    named_share,
    names_a_figure,
    names_a_part,
    names_a_part_of_it,
    names_any_part,
    names_nothing_but_a_kind,
)
from .state import (
    ConversationState,
    Entities,
    Turn,
    find_entities,
    names_only,
    refers_to_a_role,
    resolve_role_reference,
    role_alone,
    state_from_history,
)
from .table import about_whole_table, asks_lowest, asks_which_role
from .tools import Toolbox


@dataclass
class Observation:
    """What the planner saw and the tools found for one question."""

    question: str
    standalone: str
    intents: dict[str, float]
    entities: Entities
    evidence: list[Evidence]
    tool: ToolResult | None
    row: np.ndarray
    steps: list[Step] = field(default_factory=list)
    focus: Focus | None = None

    @property
    def intent(self) -> str:
        return max(self.intents, key=self.intents.get)


class _StepClock:
    def __init__(self, steps: list[Step]):
        self.steps = steps

    def run(self, tool: str, arguments: dict, fn, summarize):
        started = time.perf_counter()
        result = fn()
        ms = (time.perf_counter() - started) * 1000
        self.steps.append(Step(tool, arguments, summarize(result), ms, returned_passage_ids(result)))
        return result


_INTENT_MODELS: OnceCache[IntentModel] = OnceCache(maxsize=2)
_ANSWERABILITY: OnceCache[AnswerabilityModel] = OnceCache(maxsize=2)


class OfflinePolicy:
    name = "offline"

    def __init__(self, answers: AnswerEngine, wait_for_audit: bool = True):
        self.answers = answers
        self.settings = answers.settings
        self.embedder = answers.embedder
        self.toolbox = Toolbox(
            answers.retriever,
            self.settings,
            answers.retrieve,
            wait_for_audit=wait_for_audit,
            idf=lambda: answers.vocabulary().idf,
        )

    # -- the learned parts
    def intent_model(self) -> IntentModel:
        examples = load_examples()
        key = data_key(examples, self.settings.embedding.resolved_model_path().name) + str(
            self.settings.agent.intent_regularization
        )

        def build() -> IntentModel:
            # The training questions' vectors are kept beside the index: a new process fits in a second.
            texts = sorted({t for e in examples for t in (e.question, e.previous) if t})
            stored = stored_arrays(
                self._generation_file("intent_vectors.npz"), key, lambda: {"vectors": self.embedder.encode(texts)}
            )
            remember_vectors(texts, stored["vectors"])
            return IntentModel(self.embedder, examples, self.settings.agent.intent_regularization)

        return _INTENT_MODELS.get(key, build)

    def _generation_file(self, name: str):
        """A file beside the index generation the tools read (None when there is no such folder)."""
        index = self.answers.retriever.index
        gen_dir = index.settings.index_dir / index.generation
        return gen_dir / name if gen_dir.exists() else None

    def answerability_model(self) -> AnswerabilityModel:
        index = self.answers.retriever.index
        intents = self.intent_model()
        labelled_file = training_file("answerability.jsonl")
        data = hashlib.sha256(labelled_file.read_bytes()).hexdigest()[:12]
        model_name = self.settings.embedding.resolved_model_path().name
        key = f"{code_fingerprint()}-{index.generation}-{data_key(intents.examples, model_name)}-{data}"

        def build() -> AnswerabilityModel:
            def compute() -> dict[str, np.ndarray]:
                labelled = answerability_examples(intents)
                rows = [self.observe(q, ConversationState(), probs).row for q, _, probs in labelled]
                return {
                    "x": np.vstack(rows),
                    "y": np.array([int(c) for _, c, _ in labelled]),
                    "v": encode_cached(self.embedder, [q for q, _, _ in labelled]),
                    "q": np.array([q for q, _, _ in labelled]),
                }

            stored = stored_arrays(self._generation_file("answerability.npz"), key, compute)
            knobs = self.settings.agent
            questions = [str(q) for q in stored["q"]]
            threshold = knobs.answerable_threshold
            if threshold is None:  # calibrating takes seconds: stored beside the rows it was calibrated on
                calibration = f"{key}-{knobs.max_false_refusals}-{knobs.answerability_text_regularization}"
                threshold = float(
                    stored_arrays(
                        self._generation_file("answerability_threshold.npz"),
                        calibration,
                        lambda: {
                            "threshold": np.array(
                                AnswerabilityModel.calibrated_threshold(
                                    stored["x"],
                                    stored["y"],
                                    stored["v"],
                                    questions,
                                    knobs.max_false_refusals,
                                    knobs.answerability_text_regularization,
                                )
                            )
                        },
                    )["threshold"]
                )
            return AnswerabilityModel.fit(
                stored["x"],
                stored["y"],
                stored["v"],
                questions,
                threshold,
                knobs.max_false_refusals,
                knobs.answerability_text_regularization,
            )

        return _ANSWERABILITY.get(key, build)

    def warm_up(self) -> None:
        self.answerability_model()

    # -- one question
    def observe(
        self, text: str, state: ConversationState, intents: dict[str, float] | None = None, history: Sequence[dict] = ()
    ) -> Observation:
        steps: list[Step] = []
        clock = _StepClock(steps)
        previous = state.last.question if state.last else ""
        if intents is None:
            intents = clock.run(
                "planner",
                {"question": text, "previous": previous},
                lambda: self.intent_model().probabilities(text, previous),
                lambda p: ", ".join(f"{k} {v:.2f}" for k, v in sorted(p.items(), key=lambda kv: -kv[1])[:2]),
            )
        intent = max(intents, key=intents.get)
        box = self.toolbox
        entities = find_entities(text, box.organisations, box.references)
        # "and ML engineers?", "research engineers?": the previous question asked again of other names
        renamed = bool(state.last) and names_only(text, box.organisations, box.work_names)
        # "what shared tooling does the caption give as examples?" after "wat does fig 3 show": that caption
        called_back = bool(state.last) and state.last.tool == TOOL_INTENTS["section"] and calls_back_a_part(text)
        follow_up = bool(state.last) and (renamed or called_back or self.is_follow_up(text, previous))
        if renamed and state.last.intent not in ("fit", "off_topic"):
            intents = {label: float(label == state.last.intent) for label in intents}
            intent = state.last.intent
        elif (
            follow_up
            and intent == "search"
            and not entities
            and state.last.intent in ("section", "archetypes")
            and state.last.tool == TOOL_INTENTS[state.last.intent]
        ):
            # "and where do they still need research?" after an answer from one part of the paper: that part is
            # read again for the follow-up's own words (the passage search still wins when clearly closer)
            intents = {**intents, "search": intents[state.last.intent], state.last.intent: intents["search"]}
            intent = state.last.intent
        elif (
            follow_up
            and intent == "search"
            and not entities.references
            and not entities.organisations
            and state.last.tool == "table1"
            and intents["search"] < self.settings.agent.table_follow_up_search_max
            and box.names_table_content(text)
        ):
            # "research scientists get a circle there, what does that mean?", "what about on publishing for
            # them?" after a Table 1 answer: the table's own words (a mark, a cell's note, a row) ask it again
            # ("does the paper say why the scientist still has to care about data?" is surely a search: 0.83)
            intents = {**intents, "search": intents["table"], "table": intents["search"]}
            intent = "table"
        if (
            (intent == "search" and names_a_part(text))
            or (intent == "archetypes" and (names_a_figure(text) or describes_a_figure(text)))
        ) and not box.named_works(text):
            # "what's the overall synthesis at the end of sec 6?": a part named by its number is read as a part;
            # "going back to fig 4, which kinds of orgs have the most openings?" and "is there a figure that shows
            # hiring by org type?" ask for a figure (Figure 4's caption), not Section 6's archetypes
            intents = {**intents, intent: intents["section"], "section": intents[intent]}
            intent = "section"
        about_a_work = bool(state.last) and state.last.tool in ("references", "claim_check")
        # "whats the headline result?" after "ref 13 pls": read as a part of the paper, yet it names none
        about_the_last_work = about_a_work and intent == "section" and not names_any_part(text, box.parts)
        if intent in PAPER_PART_INTENTS and entities.references and asks_a_field(text):
            # "sec 6 cites [25] for tool registries. what is that work?": the work called by its number, looked up
            intents = {**intents, intent: intents["reference"], "reference": intents[intent]}
            intent = "reference"
        elif intent in PAPER_PART_INTENTS and (
            box.named_works(text) or (about_a_work and names_a_part_of_it(text)) or about_the_last_work
        ):
            # "what's ReAct actually about, in its own words?": a cited work called by its name is the referent,
            # not a part of the paper; so is the work the last answer was about in "does its abstract say that?",
            # and in "whats the headline result?", which names no part of the paper at all
            intents = about_a_cited_work(intents)
            intent = max(intents, key=intents.get)
        called = box.named_references(text)
        if (
            intent in ("search", "off_topic")
            and not renamed
            and len(called) == 1
            and work_alone(text, box.references[called[0]])
        ):
            # "whats react?": what the work is, from the reference lookup (but "and zero?" after "how big a model
            # did megatron-lm train?" asks the previous question again, of ZeRO)
            intents = {**intents, intent: intents["reference"], "reference": intents[intent]}
            intent = "reference"
        elif (
            intent in ("search", "off_topic")
            and follow_up
            and not entities
            and asks_a_field(text)
            and not names_a_topic(text)
            and state.recent("references")
        ):
            # "what venue was it at?" after a question about Hinton's distillation paper: a field of the work the
            # conversation is about, from the reference lookup (it asks nothing the work's text would answer)
            intents = {**intents, intent: intents["reference"], "reference": intents[intent]}
            intent = "reference"
        elif (
            intent in ("search", "off_topic")
            and follow_up
            and not entities.references
            and not entities.roles
            and asks_about_the_author(text)
            and (recent := state.recent("references"))
            and box.describes_its_author(recent[0])
        ):
            # "and what's her role at amazon?" after a question about Zeng's article: its author, as our copy of
            # the work describes her (an organisation named is where she works, not another subject); of an
            # author it only names ("where does christiano work now?") the sources say nothing
            intents = {**intents, intent: intents["reference"], "reference": intents[intent]}
            intent = "reference"
        # the paper's list items the latest answer that listed some named, in its order
        listings = (box.items_listed_in(turn.answer) for turn in reversed(state.turns))
        listed = next((items for items in listings if len(items) >= 2), []) if entities.ordinal is not None else []
        item = listed[entities.ordinal] if listed and -len(listed) <= entities.ordinal < len(listed) else None
        if item is not None:
            # "whats the first one" after an answer listing a section's items: that item of the paper, not a work
            intents = {**intents, intent: intents["section"], "section": intents[intent]}
            intent = "section"
            entities = replace(entities, ordinal=None)
        # After a role fit the previous "question" is a self-description, not a subject to carry over: the
        # follow-up is about the recommended role (resolved below), or stands alone when it names its own.
        after_fit = bool(state.last) and state.last.intent == "fit"
        standalone = (
            condense_question(text, list(history), self.answers.backend(), follow_up=True)
            if follow_up and history and not after_fit and not state.last.refused
            else text
        )
        if follow_up and state.last and state.last.refused:
            # "ok nvm, what skills do they list for that role then?" after a refused question about visas: the
            # organisations, roles and works it named carry over, what it asked does not
            works = [box.references[n].title for n in box.named_works(state.last.question)]
            names = [*state.last.entities.organisations, *state.last.entities.roles, *works]
            names = [n for n in names if n not in (*entities.organisations, *entities.roles)]
            standalone = f"{text.rstrip()} — {', '.join(names)}" if names else text
        # after a role fit, "what tools would I use?" is about the role fitted, however it starts
        speaks_of_self = bool(state.last) and state.last.intent == "fit" and bool(FIRST_PERSON & set(words_of(text)))
        antecedent = state.role_in_focus() if (follow_up or speaks_of_self) and not entities.roles else ""
        # "it" names a role only in a conversation that fitted one ("does it need a PhD?"); elsewhere it is the
        # paper or a source, whatever role the last answer's first quote happened to name
        fitted = any(turn.intent == "fit" for turn in state.turns)
        resolved = resolve_role_reference(text, antecedent, it_too=fitted) if antecedent else text
        if resolved != text:
            # "which companies employ them?" after an answer that led with a role the question did not name:
            # the follow-up is about that role, not about what the previous question asked
            standalone = resolved
        elif antecedent and (after_fit or (fitted and FIRST_PERSON & set(words_of(text)))):
            # "and do those people publish?" right after a fit, or "what tools would I be using?" later on in a
            # conversation that fitted a role: the role recommended
            standalone = f"{text.rstrip()} — {antecedent}"
        else:
            antecedent = ""
        if item is not None:
            standalone = f"{text.rstrip()} — {item.name}"
        refs = list(entities.references)
        paper_itself = None  # the paper's own front matter, when a follow-up's own words ask who wrote the paper
        if not refs and state.last and intent in ("reference", "claim_check") and not box.quotes_the_paper(text):
            # A question that names no reference of its own ("who wrote it?", "did the paper quote her
            # accurately?") is about the one the conversation was about; an author it names wins.
            earlier = state.recent("references")
            by_author = box.reference(text, [])
            if (
                earlier
                and by_author.reading == Reading.FRONT_MATTER
                and (not state.last.refused or state.last.cited_refs)
                and state.last.intent not in PAPER_PART_INTENTS
            ):
                # "who are its authors?" in a conversation about a cited work asks about that work, not the paper
                # (after a refused question, only about a work that question named); right after a part of the
                # paper ("whats figure 1 showing"), "who wrote the paper?" is the paper's own front matter
                by_author = replace(by_author, strength=0.0)
            if by_author.reading == Reading.FRONT_MATTER and by_author.strength >= 0.9:
                paper_itself = by_author  # condensed with the question before, it would read as a cited work
            if entities.ordinal is not None and earlier:
                listed = state.listed(entities.ordinal)
                refs = [listed[entities.ordinal]] if -len(listed) <= entities.ordinal < len(listed) else []
            elif by_author.strength >= 0.9:
                # one work by its author or title; every work the paper cites for the topic it names ("and which
                # works are cited for long-horizon memory?": [26, 27])
                refs = list(by_author.refs if by_author.reading == Reading.CITED_FOR else by_author.refs[:1])
                if asks_another_work(text):  # "the other Amazon posting": theirs, but not the one talked about
                    refs = [n for n in by_author.refs if n not in earlier][:1] or refs
            elif earlier and (asks_cited_beside(text) or (asks_another_work(text) and len(state.last.cited_refs) < 2)):
                # "and the other one cited next to it for parallelism, who wrote that?" after an answer about one
                # work (or any answer, when it says "cited next to it"): a work the paper cites beside it, the one
                # of the topic the follow-up names first
                beside = by_age_asked(text, box.co_cited(earlier[:1]), box.references)
                refs = ([n for n in by_author.refs if n in beside] or beside or list(earlier))[:1]
            elif (
                earlier
                and asks_cited(text)
                and by_author.reading == Reading.CITED_FOR
                and by_author.strength >= self.settings.agent.follow_up_topic_similarity
                and names_a_topic(text)
            ):
                # "which papers are cited for the planners and tool registries part?": what the paper cites there,
                # every work of it, not the one of the conversation's works the words best describe
                refs = list(by_author.refs)
            elif earlier and (dated := state.of_year({int(y) for y in YEAR.findall(text)}, box.references)):
                refs = [dated]  # "does the 2017 one even involve language models?"
            elif earlier:
                described = box.described(text, earlier)
                if described is not None:
                    refs = [described]
                elif by_author.strength >= self.settings.agent.follow_up_topic_similarity and names_a_topic(text):
                    # "it mentions distillation for compression — which ref is that?": the works of the topic
                    # it names, not the one the conversation was about ("who is that research engineer?" names
                    # a role and "who's the first author?" a field, neither a topic: every work is about the
                    # roles, and has authors)
                    refs = list(by_author.refs[:3])
                else:
                    refs = list(earlier[:1])
        roles = (
            list(entities.roles)
            or list(state.other_roles(text))
            or ([antecedent] if antecedent else list(state.recent("roles")) if follow_up and intent == "table" else [])
        )
        in_focus = state.role_in_focus() if follow_up and entities.roles and refers_to_a_role(text) else ""
        if in_focus and in_focus not in roles:
            roles = [in_focus, *roles]  # "and code optimization for that role vs research engineers?": both
        within = (state.last.cited_refs or state.last.entities.references) if state.last else ()
        focused = False
        # the passage search answers a question the planner read as off-topic too, if answerability lets it:
        # "how many GPUs did Megatron train on?" is asked of Megatron-LM's own text either way
        searched = intent in ("search", "off_topic")
        if entities.ordinal is not None and state.last:  # "the second one": that one of the previous turn's
            earlier = state.listed(entities.ordinal)
            if -len(earlier) <= entities.ordinal < len(earlier):
                within, focused = (earlier[entities.ordinal],), True
                intents = about_a_cited_work(intents)
                intent = max(intents, key=intents.get)
                # the question is about that work now, not about what the previous question asked
                standalone = f"{text.rstrip()} — {box.references[within[0]].title}"
        elif (
            searched
            and within
            and (named_here := box.named_works(text) or box.written_by_named_people(text))
            and set(named_here) != set(within)
        ):
            # "what tools did the toolformer one hook up?" after an answer about other works, or "what scale did
            # megatron train at?" after one about Megatron-LM and ZeRO: the work it names
            within, focused = tuple(named_here[:2]), True
        elif (
            follow_up
            and searched
            and not entities
            and describes_a_work(text)
            and (described := box.described(text, state.listed(1))) is not None
            and (described,) != tuple(within)
        ):
            # "and the minecraft one, what are its main parts?" after a turn about WebArena that followed a list of
            # agent papers: the one of the listed works the follow-up describes, asked of its own text
            within, focused = (described,), True
            standalone = f"{text.rstrip()} — {box.references[described].title}"
        elif (
            follow_up
            and searched
            and not entities
            and len(within) == 1
            and any(within[0] in box.named_works(turn.question) for turn in state.turns)
        ):
            # "did bigger models do better?" after "truthfulqa - how truthful was the best model?": still asked of
            # the one work the conversation named, first (the condensed question's search found InstructGPT's
            # "making language models bigger ..." first); named in any earlier question ("what model did they
            # build with it?" two turns after "where was the ZeRO paper published?")
            focused = True
        elif (
            (follow_up or about_the_last_work)
            and not entities
            and intent in ("search", "claim_check")
            and state.last.tool == "references"
            and state.last.cited_refs
        ):
            # "what does it actually measure?" after "what is reference 23?": asked of that work's own text
            within, focused = state.last.cited_refs[:1], True
        elif (
            searched
            and not within
            and (
                not entities.organisations or names_a_document(text) or an_organisation_speaks(text, box.organisations)
            )
        ):
            # "what does the Christiano RLHF paper show?", "how big a model did Megatron-LM train?": a cited
            # work named by its name or author is read in its own text, not only where the search lands (an
            # organisation's name is not a work's, though its posting's title holds it, unless the question
            # calls it a document, "what does OpenAI's Research Engineer posting ask for?", or has it speak:
            # "what does anthropic say about the line between research and engineering?")
            named = box.named_references(text) or [n for org in entities.organisations for n in box.published_by(org)]
            if named:
                within, focused = tuple(named[:2]), True
        evidence = clock.run(
            "search_passages",
            {"query": standalone, **({"within": list(within)} if within else {})},
            lambda: box.search(standalone, within, lead=focused, asked=text if follow_up else ""),
            lambda ev: f"{len(ev)} passages, best {ev[0].passage.id}" if ev else "nothing",
        )
        named_roles = list(entities.roles) or ([antecedent] if antecedent else [])
        if not named_roles and standalone != text:
            # "do they need a PhD for it?" after a question about Research Engineers: the role it carries over
            named_roles = list(find_entities(standalone, box.organisations, ()).roles)
        if intent == "search" and len(named_roles) == 1:
            # a question about one role: the paper's own definition of it is read beside what the search found
            have = {e.passage.id for e in evidence}
            evidence = evidence + clock.run(
                "role_definition",
                {"role": named_roles[0]},
                lambda: [e for e in box.definition_passages(named_roles[0], standalone) if e.passage.id not in have],
                lambda ev: ", ".join(e.passage.id for e in ev) or "nothing new",
            )
        if intent == "search" and len(entities.organisations) == 1 and not focused and not box.named_references(text):
            # a question about one organisation and no work (a work it published counts: "the Amazon Science
            # article by Zeng", "Anthropic's careers page" are answered from their own text): the paper's own account
            # of the organisation is read beside what the search found
            have = {e.passage.id for e in evidence}
            organisation = entities.organisations[0]
            evidence = evidence + clock.run(
                "organisation_account",
                {"organisation": organisation},
                lambda: [e for e in box.organisation_account(organisation, standalone) if e.passage.id not in have],
                lambda ev: ", ".join(e.passage.id for e in ev) or "nothing new",
            )
        # a tool result made while choosing
        checked = box.read_part(item, name_it=True) if item is not None else paper_itself
        alone = role_alone(text) if intent in ("search", "section") and not entities.organisations else None
        definition = box.role_definition(alone) if alone and not box.named_works(text) else None
        if definition is not None and checked is None:
            # "what does an MLE typically do?": the paper's definition of the role, read from its start (the
            # passage search still answers when clearly closer)
            checked = definition
        looked_up = None  # the reference lookup by name or topic, made once
        if not refs and intent in ("search", *PAPER_PART_INTENTS) and asks_cited(text) and not box.named_works(text):
            # "which works does the paper point to for model quantization?": a request for what the paper cites is
            # the references tool's when it reads what the paper cites for that topic
            looked_up = box.reference(standalone, [])
            if looked_up.reading == Reading.CITED_FOR:
                intents = {**intents, intent: intents["reference"], "reference": intents[intent]}
                intent = "reference"
        if not refs and intent in ("reference", "claim_check") and paper_itself is None:
            # Named by author, title or topic rather than number ("the Chinchilla paper", "Matsukawa's quote"):
            # the reference lookup by name, else the source the passage search found first.
            named = looked_up or box.reference(standalone, [])
            if intent == "reference" and named.refs and named.strength < 0.9:
                # "does the paper cite a source for those Microsoft job-posting quotes?": when the sentence the
                # question is about cites nothing, that is the answer, not the reference closest to its topic
                check = box.claim_check(standalone, [], text if follow_up else "")
                if (
                    check.reading == Reading.UNCITED
                    and check.strength > named.strength + self.settings.agent.uncited_reference_margin
                ):
                    intents = {**intents, "reference": intents["claim_check"], "claim_check": intents["reference"]}
                    intent, checked = "claim_check", check
            if intent == "reference" and named.reading == Reading.FRONT_MATTER:
                checked = named  # "who wrote this paper?": the paper itself, no cited work
            elif intent == "reference":
                found = [e.passage.ref for e in evidence[:3] if e.passage.ref and e.passage.doc != "paper"][:1]
                # of several works matched by topic (not by number or author, which keep the list's order), the
                # one whose own text the search found best comes first
                by_topic = named.strength < 0.9
                refs = sorted(named.refs, key=lambda n: by_topic and n not in found) or found
                # A topic read from the entries' wording is looser than the search, whose words and context find
                # the work itself; so is one read from citing sentences when the search's best hit is a work's
                # own passage ("that research engineering FAQ blog": the FAQs blog, not Anthropic's FAQ).
                best_hit = evidence[0].passage.ref if evidence else None
                if named.reading == Reading.TITLE:
                    refs = [n for n in found if n not in refs] + refs
                elif by_topic and best_hit is not None and best_hit not in refs:
                    refs = [best_hit, *refs]
            elif named.strength >= 0.9:  # a claim check names its source by author, not by topic
                refs = list(named.refs[:1])
        tool = None
        if intent in TOOL_INTENTS or checked is not None:
            call = {
                "table": lambda: self.table_for(text, standalone, roles, state if follow_up else ConversationState()),
                "reference": lambda: box.reference(standalone, refs, text if follow_up else ""),
                "claim_check": lambda: box.claim_check(standalone, refs, text if follow_up else ""),
                "archetypes": lambda: self.archetypes_for(text, standalone, follow_up, state),
                "section": lambda: self.section_for(text, standalone, follow_up, state, evidence),
            }.get(intent)
            arguments = {
                "request": standalone,
                **({"roles": roles} if intent == "table" else {}),
                **({"refs": refs} if intent in ("reference", "claim_check") else {}),
            }
            tool = clock.run(
                checked.tool if checked else TOOL_INTENTS[intent],
                arguments,
                (lambda: checked) if checked else call,
                lambda r: r.summary,
            )
        row = features(
            standalone,
            evidence,
            self.answers.vocabulary(),
            intents,
            tool.strength if tool is not None and tool.found else 0.0,
            self.settings.answer.coverage_word_similarity,
            text if follow_up else "",
        )
        # A follow-up moving on does not want the previous answer's sentences again; one that drills into a
        # single work of that answer ("the first one") may well want the sentence the overview quoted from it.
        penalty = 0.0 if focused else self.settings.agent.repeat_penalty
        focus = Focus(text, (state.last.answer,), penalty) if follow_up and state.last else None
        return Observation(
            text, standalone, intents, replace(entities, references=tuple(refs)), evidence, tool, row, steps, focus
        )

    def is_follow_up(self, text: str, previous: str) -> bool:
        """A question leans on the previous one when it starts or refers like a follow-up ("and at Meta?",
        "does it ...") or when the learned follow-up model says so ("how long did that process take?")."""
        if looks_like_follow_up(text, by_length=False):  # the learned model judges short questions
            return True
        return self.intent_model().follow_up_probability(text, previous) >= self.settings.agent.follow_up_threshold

    def table_for(self, text: str, request: str, roles: Sequence[str], state: ConversationState) -> ToolResult:
        """Table 1 rows the follow-up names in its own words ("and for implementing models?"), else the rows
        the standalone request names; a follow-up that names none ("and the research engineer on that same
        row?") reads the rows the latest Table 1 question that named some asked about, for its own roles
        (through a chain of follow-ups: "and applied scientists on that row?", "research engineers?")."""
        if state.last is not None and text != request:
            if about_whole_table(text):
                # the table itself, whatever roles the conversation carries
                whole = self.toolbox.table1(text, [])
                if whole.summary == "the table":
                    return whole
            own = self.toolbox.table1(text, roles)
            # its own rows, or the rows a role scores lowest on: its whole column, not the previous row (but
            # "who's least involved in that?" asks which role, of the previous row)
            lowest_of_role = asks_lowest(text) and not asks_which_role(text)
            if own.summary.startswith("rows") or (own.summary.startswith("column") and lowest_of_role):
                return own
        result = self.toolbox.table1(request, roles)
        if result.summary.startswith("rows"):
            return result
        for turn in reversed(state.turns):
            if turn.tool != "table1":
                break
            earlier = self.toolbox.table1(turn.question, roles, text)
            if earlier.summary.startswith("rows"):
                return earlier
        return result

    def section_for(
        self, text: str, standalone: str, follow_up: bool, state: ConversationState, evidence: Sequence[Evidence]
    ) -> ToolResult:
        """A follow-up that names a part of its own ("and the limitations?") is read on its own words; one that
        names none ("so what do they want to do next?") reads the part the conversation is about for them."""
        last = state.last
        asks_own_topic = not (names_a_part(text) or names_nothing_but_a_kind(text))
        if ASKS_WHERE.search(text) and asks_own_topic and not looks_like_follow_up(text, by_length=False):
            # "which section mentions T-shaped skill profiles?": where the paper says what the question names
            # itself, unless it names a part by its heading ("which section covers team structures?"); "which
            # section was that in?" names nothing of its own: it asks where the previous answer's words are
            said_in = self.toolbox.where_topic_said(text, evidence)
            part = self.toolbox.section(text)
            if said_in.found and part.strength < self.settings.agent.part_name_similarity:
                return said_in
            if not follow_up:
                return part
        own = self.toolbox.section(text) if follow_up else None  # the follow-up's own words, read once
        if own is not None and last is not None and ASKS_WHERE.search(text):
            # "which parts of the paper discuss that?" after an answer quoting the paper: where it says that, unless
            # the question names a part of its own
            said_in = self.toolbox.where_said(last.answer)
            names_own = own.found and own.strength >= self.settings.agent.part_name_similarity
            if said_in.found and not (names_own and not names_nothing_but_a_kind(text)):
                return said_in
        if own is not None and text != standalone:
            # a figure described in the follow-up's own words is the one its caption answers, not the one the
            # conversation named by number ("the team topology one, which fig is that?" after "figure 1")
            if own.found and (own.strength >= self.settings.agent.part_name_similarity or describes_a_figure(text)):
                return own
            if own.strength < 1.0 and last is not None and last.tool in ("references", "claim_check"):
                # "in what context does the paper bring those up?" after an answer about cited works: the
                # sentences citing them, not whichever part is closest to the words
                cited = self.toolbox.where_cited(last.cited_refs[:3])
                if cited.found:
                    return cited
            said = (state.last.answer,) if state.last else ()
            focus = Focus(text, said, self.settings.agent.repeat_penalty)
            read = self.toolbox.section(standalone, focus)
            # "and what do they want to do next?" after an answer from the conclusion: its "Limitations" paragraph
            return self.toolbox.inner_part(text, read, focus) or read
        return self.toolbox.section(standalone)

    def archetypes_for(self, text: str, standalone: str, follow_up: bool, state: ConversationState) -> ToolResult:
        """A follow-up that names an archetype of its own ("and foundation-model platforms?") is read on its own
        words; one that names none after an answer about one archetype ("where does research still show up for
        them?") asks its own words of that archetype's paragraph; otherwise the standalone question is read."""
        box = self.toolbox
        if not (follow_up and text != standalone):
            return box.organisation_archetypes(standalone)
        own = box.organisation_archetypes(text)
        one = own.summary.endswith("one archetype") and own.statements
        # named by a word of its name ("and the platforms?"), not of its opening sentence's other words
        if one and set(content_words(text)) & name_words(self._archetype_of(own)):
            return own
        idf = self.answers.vocabulary().idf
        if own.summary.endswith("two archetypes") and any(
            named_share(text, g, idf) >= NAMED_SHARE for g in box.archetypes
        ):
            # "how about open source ecosystems and academic labs outside the frontier?": it names its own
            return own
        if state.last is not None and state.last.tool == TOOL_INTENTS["archetypes"]:
            answered = archetype_quoted(state.last.answer, box.archetypes)
            if answered is not None:
                # "what's their research oriented toward?" after "who do they mostly hire?" answered from the
                # platforms' paragraph: the archetype the last answer was about, whatever its question said
                return replace(box.organisation_archetypes(text, within=answered), strength=1.0)
            earlier = box.organisation_archetypes(state.last.question)
            if earlier.summary.endswith("one archetype") and earlier.statements:
                # the conversation chose the archetype, as surely as if the question had named it
                return replace(box.organisation_archetypes(text, within=self._archetype_of(earlier)), strength=1.0)
            # "and what's the research at those platforms oriented toward?" after an answer about two: the one of
            # them a word of whose name it uses
            if earlier.summary.endswith("two archetypes"):
                words = set(content_words(text))
                read = {pid for s in earlier.statements for pid in s.passage_ids}
                named = [g for g in box.archetypes if read & {p.id for p in g} and name_words(g) & words]
                if len(named) == 1:
                    return replace(box.organisation_archetypes(text, within=named[0]), strength=1.0)
        return own if one else box.organisation_archetypes(standalone)

    def _archetype_of(self, result: ToolResult) -> tuple[Passage, ...]:
        """The paragraph (its passage windows) an archetypes answer about one archetype quoted first."""
        read = set(result.statements[0].passage_ids)
        return next(g for g in self.toolbox.archetypes if read & {p.id for p in g})

    def with_search_quotes(
        self, seen: Observation, claims: list[Claim], evidence: list[Evidence]
    ) -> tuple[list[Claim], list[Evidence]]:
        """A tool answers what it was built for; the passage search may hold the sentence that answers the rest
        of the question. Its best sentences outside what the tool already cited are quoted after the tool's
        statements (like PaperQA gathering evidence from more than one tool)."""
        limit = self.settings.agent.search_quotes
        if limit <= 0 or not seen.evidence:
            return claims, evidence
        cited = {e.passage.id for e in evidence}
        said = {normalize_ws(strip_citations(c.text)).strip("“” ").lower() for c in claims}
        # the rows of Table 1 the table tool did not read are rows the question did not ask about
        read_the_table = seen.tool is not None and seen.tool.tool == TOOL_INTENTS["table"]
        claims, evidence = list(claims), list(evidence)
        for n, _, sentence, _ in rank_sentences(
            seen.standalone, seen.evidence, self.embedder, self.answers.vocabulary().idf, focus=seen.focus
        ):
            passage = seen.evidence[n - 1].passage
            quote = quote_text(sentence)
            if passage.id in cited or any(normalize_ws(quote).strip("“” ").lower() in s for s in said):
                continue
            if read_the_table and passage.kind == PassageKind.TABLE_ROW:
                continue
            evidence.append(seen.evidence[n - 1])
            claims.append(Claim(quote, (len(evidence),), 1.0, True, Origin.QUOTE))
            cited.add(passage.id)
            limit -= 1
            if limit == 0:
                break
        return claims, evidence

    def search_answers_better(self, seen: Observation) -> bool:
        """A quoting tool (a section, the archetypes) read the part of the paper the planner chose; when the
        passage search found a sentence that answers the question clearly better elsewhere, the planner chose
        the wrong part, and the answer comes from the search instead."""
        tool = seen.tool
        quoting_tools = (TOOL_INTENTS["section"], TOOL_INTENTS["archetypes"])
        if tool is None or tool.tool not in quoting_tools or not tool.statements or not seen.evidence:
            return False
        if tool.strength >= 0.99:  # the question named the part ("Figure 1", "Section 7")
            return False
        ranked = rank_sentences(
            seen.standalone, seen.evidence, self.embedder, self.answers.vocabulary().idf, 0.0, seen.focus
        )
        tool_ids = {p.id for p in tool.passages}
        outside = [score for n, _, _, score in ranked if seen.evidence[n - 1].passage.id not in tool_ids]
        best_tool = max(s.score for s in tool.statements)
        return bool(outside) and outside[0] > best_tool + self.settings.agent.search_margin

    def stream(self, question: str, history: Sequence[dict] | None = None) -> Iterator[dict]:
        history = list(history or [])
        clock = Stopwatch()
        text, notices = prepare_question(question, self.settings.answer.max_question_chars)
        notices = list(notices) + self.answers.backend_notices()
        box = self.toolbox
        state = state_from_history(history, box.organisations, box.references)
        seen = self.observe(text, state, history=history)
        steps = seen.steps
        intent = "fit" if asked_for_profile(history) else seen.intent
        fields = {"intent": intent, "policy": self.name}
        if seen.standalone != text:
            yield {"type": "status", "text": f"Searching for: {seen.standalone}"}
        started = time.perf_counter()
        answerability = self.answerability_model()
        p_covered = answerability.probability(
            seen.row, encode_cached(self.embedder, [seen.standalone])[0], seen.standalone
        )
        steps.append(Step("answerability", {}, f"P(covered) {p_covered:.2f}", (time.perf_counter() - started) * 1000))
        clock.mark("retrieve_s")
        # a request the role fit would read as a profile ("set up a RAG pipeline over my company's PDFs") is
        # refused like any other question the sources do not cover; a reply to the request for a profile is not
        if intent == "fit" and (asked_for_profile(history) or p_covered >= answerability.threshold):
            started = time.perf_counter()
            # "should I even apply there?": what the organisation the person asks about says of itself
            organisations = seen.entities.organisations or (state.recent("organisations") if seen.focus else ())
            about = []
            if organisations:
                about = box.organisation_passages(organisations[0], text, self.settings.agent.organisation_quotes * 2)
                steps.append(
                    Step(
                        "organisation_sources",
                        {"organisation": organisations[0], "query": text},
                        f"{len(about)} passages",
                        (time.perf_counter() - started) * 1000,
                        tuple(e.passage.id for e in about),
                    )
                )
            started = time.perf_counter()
            answer = fit_answer(
                text,
                history,
                self.answers.backend_label,
                notices,
                self.settings,
                self.toolbox.role_definitions,
                self.embedder,
                about=about,
            )
            steps.append(
                Step(
                    "role_fit",
                    {"profile_words": len(text.split())},
                    answer.fit.ranking[0].role if answer.fit and answer.fit.ranking else "needs a profile",
                    (time.perf_counter() - started) * 1000,
                    tuple(c.evidence.passage.id for c in answer.citations),
                )
            )
            yield {"type": "answer", "answer": replace(answer, steps=tuple(steps), **fields)}
            return
        if p_covered < answerability.threshold:
            clock.mark("total_s")
            reason = f"answerability {p_covered:.2f} < {answerability.threshold:.2f}"
            yield {
                "type": "answer",
                "answer": self.answers.not_covered(
                    text, seen.standalone, seen.evidence, notices + [reason], clock, steps=tuple(steps), **fields
                ),
            }
            return
        tool = seen.tool
        if tool is not None and tool.found and self.search_answers_better(seen):
            steps.append(Step("compare", {"tool": tool.tool}, "the passage search holds a closer sentence", 0.0))
            tool = None
        if tool is not None and tool.found:
            claims, evidence, dropped = compose_tool_answer(tool, box.by_id, self.settings.agent.tool_statements)
            if claims:
                claims, evidence = self.with_search_quotes(seen, claims, evidence)
                clock.mark("total_s")
                answer = assemble(
                    text,
                    claims,
                    evidence,
                    box.references,
                    grounded=True,
                    mode=Mode.TOOL,
                    notices=tuple(notices),
                    backend=self.answers.backend_label,
                    standalone_question=seen.standalone,
                    timings=clock.timings,
                    steps=tuple(steps),
                    **fields,
                )
                yield {"type": "answer", "answer": answer}
                return
        if tool is not None and not tool.found:
            notices.append(prompts.NOTHING_FOUND.format(tool=tool.tool))
            notices += list(tool.notes)
        backend = self.answers.backend()
        drafts = backend is not None and (not backend.name.startswith("local") or self.settings.llm.local_drafts)
        if backend is not None and not drafts:
            steps.append(
                Step("draft", {"backend": backend.name}, "skipped: the bundled model does not improve answers", 0.0)
            )
        yield from self.answers.stream_from_evidence(
            text,
            seen.standalone,
            seen.evidence,
            notices,
            clock,
            draft_allowed=drafts,
            focus=seen.focus,
            steps=tuple(steps),
            **fields,
        )


PAPER_PART_INTENTS = ("section", "archetypes", "table")


def about_a_cited_work(intents: dict[str, float]) -> dict[str, float]:
    """Intent probabilities for a question whose referent is a cited work ("what does the second one
    propose?"): no part of the paper (a section, an archetype, Table 1) is what it asks about, so their
    probability goes to the passage search."""
    moved = sum(intents.get(k, 0.0) for k in PAPER_PART_INTENTS)
    return {**intents, **dict.fromkeys(PAPER_PART_INTENTS, 0.0), "search": intents.get("search", 0.0) + moved}


def cited_work(passage: Passage, paper_cites: bool = False) -> list[int]:
    """The works a line of the paper is of: a reference entry the number it prints ("[4] Lakshman ..."), and
    (`paper_cites`) a sentence the works it cites."""
    number = entry_number(passage)
    if number is not None:
        return [number]
    return list(passage.cites) if paper_cites and passage.doc == "paper" else []


def turn_metadata(answer: Answer) -> dict:
    """What a history message should carry so the next turn's state knows this one: the intent, the tool
    and the references the answer was about."""
    # What the tools were asked about and returned comes first (a claim check asked about Meta's job posting
    # that found the quoted sentence cites a blog answered about the blog), then the rest of what they were
    # asked about and what they returned; then what the answer cited.
    asked = [int(n) for step in answer.steps for n in step.arguments.get("refs", [])]
    returned = [
        n
        for step in answer.steps
        if step.tool in TOOL_INTENTS.values()
        for n in map(source_ref, step.passages)
        if n is not None
    ]
    # A tool's answer also quotes the passage search's best sentences (with_search_quotes): what those cite is
    # incidental, not what the turn was about ("the last of those" is the last work the tool listed)
    by_tools = {pid for step in answer.steps if step.tool in TOOL_INTENTS.values() for pid in step.passages}
    citations = [c for c in answer.citations if not by_tools or c.evidence.passage.id in by_tools]
    # then the sources the answer quoted, and the works the paper's lines it quoted are of, in the answer's order:
    # the reference entries they print and (an answer that looked up no work) the works its quoted sentences
    # cite: "who said that?" after an answer that led with a sentence citing [6] asks of [6]
    refs = [n for n in asked if n in returned] + returned + asked
    refs += [c.evidence.passage.ref for c in citations if c.evidence.passage.ref]
    if not refs and not any(cited_work(c.evidence.passage) for c in citations):
        # refused, or quoting no source: the works its question named, searched in their own text
        refs = [n for step in answer.steps if step.tool == "search_passages" for n in step.arguments.get("within", [])]
    refs += [n for c in citations for n in cited_work(c.evidence.passage, paper_cites=not asked)]
    # "does that role need a PhD?" resolved to the role in focus: the role the turn was about, whichever role the
    # answer's first quote names ("Research scientist roles usually require a PhD; research engineer roles do not")
    resolved = answer.standalone_question if answer.standalone_question != answer.question else ""
    return {
        "intent": answer.intent,
        "refused": answer.mode == Mode.NOT_COVERED,
        "refs": list(dict.fromkeys(refs)),
        "roles": list(find_entities(resolved, {}, ()).roles) if resolved else [],
        "tool": next((s.tool for s in answer.steps if s.tool in TOOL_INTENTS.values()), ""),
    }


def answerability_examples(intents: IntentModel) -> list[tuple[str, bool, dict[str, float]]]:
    """(question, covered, intent probabilities) to fit the answerability model on: the labelled
    answerability questions (intent probabilities from the intent model) and the intent examples other than
    role fit (out-of-fold probabilities, so the model cannot lean on the intent model's memory)."""
    out = []
    for row in load_jsonl(training_file("answerability.jsonl")):
        out.append((str(row["q"]), bool(row["covered"]), intents.probabilities(str(row["q"]))))
    folds = intents.cross_validated()
    labels = intents.labels
    for example, probs in zip(intents.examples, folds):
        if example.intent == "fit" or example.previous:
            continue
        out.append((example.question, example.intent != "off_topic", dict(zip(labels, map(float, probs)))))
    return out


def describe_steps(steps: Sequence[Step]) -> str:
    """ "Searched the paper and its sources · looked up Table 1 (rows Publication …)": the collapsed line
    under a chat answer, one phrase per tool that was called (prompts.STEP_PHRASES)."""
    phrases = [prompts.STEP_PHRASES[s.tool].format(result=s.result) for s in steps if s.tool in prompts.STEP_PHRASES]
    text = " · ".join(dict.fromkeys(phrases)) or prompts.STEP_PHRASES["search_passages"]
    return text[:1].upper() + text[1:]


__all__ = ["INTENTS", "Observation", "OfflinePolicy", "Turn", "describe_steps", "turn_metadata"]
