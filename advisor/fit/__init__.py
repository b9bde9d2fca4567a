"""Role fit: which of the paper's four roles fits a person, with the reasoning shown and cited.

The model is read from corpus/paper.md, not written into code:

- Table 1 (Section 6) becomes a skill x role matrix of involvement levels. The key's symbols get
  numeric levels (settings.fit.level_*: ✓✓ = 1.0, ✓ = 0.6, ○/✓ = 0.35, ○ = 0.15) and a cell's note in
  parentheses nudges it by settings.fit.annotation_shift: up for "primary"/"extensive", down for
  "some"/"rare"/"support role"/"know basics"... The note is kept verbatim for the explanation.
- Each skill (a Table 1 row) is described by its row label plus a few short phrases in the paper's own
  vocabulary, and cites its best Section 3/4 passage.
- Each role is described by the sentences of its Section 4 definition and the Section 6 clauses that say
  whom organisations hire for what ("research scientists who can originate methods ...").
- Section 6's organisation archetypes get role weights from the roles their paragraphs name, plus where
  the paragraph leans on the research-engineering axis (Fig. 1 orders the roles RS, RE, AS, MLE).

A profile becomes per-skill evidence: every clause is compared (MiniLM cosine) with each skill's
descriptions and matched against cue phrases; a negated clause ("I don't want to publish", "hate
on-call") counts against the skill. Quiz answers (0-4 per skill) replace the text estimate.

Score of a role = Table 1 channel + weight x role-description channel + weight x degree channel:
- Table 1 channel: sum over skills of (person's signed evidence) x (role level minus the mean level of
  the four roles for that skill), divided by the total evidence. Centering matters because the roles share
  most skills (the paper's point); only what sets a role apart can separate them. Each term is a reason.
- role-description channel: how much closer the person's clauses (and the list items inside them) are to
  this role's closest Section 4/6 sentence than to the average role's, weighted by how much skill signal
  each carries. It separates roles Table 1 scores alike (RE and MLE share most ✓✓ cells).
- degree channel: the doctorate the person names (+1; -1 for "no phd" or only a lower degree) times what
  the role's definition asks (+1 "usually a Ph.D.", -1 "do not require a Ph.D.", 0 silent).
Raw scores go through a softmax (settings.fit.temperature, fitted by log loss on the persona sets) to give
the shares reported as "score"; the margin is the top-two share gap. Confidence also falls with weak
evidence and with a profile that does not look like English (MiniLM and the cues are English-only).

Modules, in the order the engine uses them:
  roles          the four roles, their place on the continuum, how the paper names them
  errors         FitModelError, FitInputError
  lexicon        the skill vocabulary and word lists (data: lexicon.toml)
  matrix         Table 1 -> SkillMatrix of Cells
  clauses        a profile -> clauses with their polarity; does it look like English
  model          FitModel built from the paper (role sentences, Section 6 archetypes), cached per process
  quiz           the quiz questions and answers
  evidence       a profile and quiz -> per-skill evidence
  scoring        the two channels, softmax, reasons, follow-up question, archetypes, confidence
  result         SkillEstimate, Reason, RoleScore, RoleFit
  engine         fit(), fit_file()
  chart          plot_fit()
  profile_files  CV/profile files (.txt, .md, .pdf, .docx) read in memory only
  questions      is a chat message a role-fit question
"""

from ..corpus import TABLE_ROLES  # = ROLES, re-exported for callers that name Table 1's header
from .chart import plot_fit
from .clauses import Clause, english_share, looks_english, names_doctorate, split_clauses
from .engine import fit, fit_file
from .errors import FitInputError, FitModelError
from .matrix import Cell, SkillMatrix, SkillRow, parse_cell, parse_table1
from .model import FitModel, archetype_label, build_fit_model, get_fit_model, places_archetype
from .profile_files import ProfileFileError, read_profile_bytes, read_profile_path
from .questions import is_fit_question
from .quiz import QUIZ_MAX, normalise_quiz, parse_quiz_args, quiz_questions
from .result import Reason, RoleFit, RoleScore, SkillEstimate
from .roles import CONTINUUM_POSITION, ROLES, spelled_out_roles
from .scoring import softmax

__all__ = [
    "CONTINUUM_POSITION",
    "QUIZ_MAX",
    "ROLES",
    "TABLE_ROLES",
    "Cell",
    "Clause",
    "FitInputError",
    "FitModel",
    "FitModelError",
    "ProfileFileError",
    "Reason",
    "RoleFit",
    "RoleScore",
    "SkillEstimate",
    "SkillMatrix",
    "SkillRow",
    "build_fit_model",
    "english_share",
    "fit",
    "fit_file",
    "get_fit_model",
    "is_fit_question",
    "looks_english",
    "names_doctorate",
    "normalise_quiz",
    "parse_cell",
    "parse_quiz_args",
    "parse_table1",
    "archetype_label",
    "places_archetype",
    "plot_fit",
    "quiz_questions",
    "read_profile_bytes",
    "read_profile_path",
    "softmax",
    "spelled_out_roles",
    "split_clauses",
]
