"""The agent: the advisor's capabilities as tools, and the offline policy that plans, runs and composes them.

Modules: state (conversation state and entities), results (tool results and their statements), table,
references, claims, sections (the tools' logic), tools (the Toolbox and its LangChain tools), planner (the
learned intent model), answerability (the learned "not covered" decision), composer (statements -> cited
claims), fitting (the role-fit tool in the chat), policy (the offline policy), toolcalling (a tool-calling model's
plan over the same tools, verified, with the offline policy as its fallback).
"""

from .fitting import asked_for_profile, fit_answer
from .planner import INTENTS, TOOL_INTENTS, IntentModel, load_examples
from .policy import OfflinePolicy, describe_steps, turn_metadata
from .results import Statement, ToolResult, statement_holds
from .state import ConversationState, find_entities, state_from_history
from .toolcalling import ToolCallingPolicy
from .tools import CallLog, Toolbox, describe_arguments

__all__ = [
    "CallLog",
    "INTENTS",
    "TOOL_INTENTS",
    "ConversationState",
    "IntentModel",
    "OfflinePolicy",
    "Statement",
    "ToolResult",
    "ToolCallingPolicy",
    "Toolbox",
    "asked_for_profile",
    "describe_arguments",
    "describe_steps",
    "find_entities",
    "fit_answer",
    "load_examples",
    "state_from_history",
    "statement_holds",
    "turn_metadata",
]
