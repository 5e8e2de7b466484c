"""The question content of each leaf subject, read from ``content/topics.json``.

A :class:`Topic` is everything the plan draws questions from for one subject: the problem makers
(code, named in the file and found in :data:`~lms.demo.problems.PROBLEM_MAKERS`) and the fixed
statements. The plan decides how many questions of each kind a topic gives and which content
each one uses.
"""

from dataclasses import dataclass

from lms.demo.content import load
from lms.demo.problems import PROBLEM_MAKERS, ProblemMaker


@dataclass(frozen=True)
class Concept:
    stem: str
    correct: str
    wrong: tuple[str, str, str]


@dataclass(frozen=True)
class Topic:
    label: str  # "mechanics" in "Which of the following statements about mechanics ..."
    problems: tuple[ProblemMaker, ...]
    concepts: tuple[Concept, ...]
    facts: tuple[str, ...]  # true statements (true/false and multiple-correct keys)
    myths: tuple[str, ...]  # false statements (distractors)
    short: tuple[tuple[str, tuple[str, ...]], ...]  # (question, accepted answers)
    essays: tuple[str, ...]


def _topic(entry: dict) -> Topic:
    unknown = [name for name in entry["problems"] if name not in PROBLEM_MAKERS]
    if unknown:
        raise LookupError(f"topics.json names unknown problem makers: {', '.join(unknown)}")
    return Topic(
        label=entry["label"],
        problems=tuple(PROBLEM_MAKERS[name] for name in entry["problems"]),
        concepts=tuple(
            Concept(c["stem"], c["correct"], tuple(c["wrong"])) for c in entry["concepts"]
        ),
        facts=tuple(entry["facts"]),
        myths=tuple(entry["myths"]),
        short=tuple((s["stem"], tuple(s["accepted"])) for s in entry["short_answers"]),
        essays=tuple(entry["essays"]),
    )


_CONTENT = load("topics")
# Keyed by leaf subject name, in the file's order (the order the bank is drawn in).
TOPICS = {leaf: _topic(entry) for leaf, entry in _CONTENT["by_subject"].items()}
# Questions without a subject: general aptitude, as some banks hold them.
APTITUDE = _topic(_CONTENT["without_subject"])
