"""The one subject roll-up: a subject's row sums every question of its subtree.

Used by one attempt's report (``attempt.subject_stats``) and by the exam summary
(``exam.exam_summary``): Physics adds up Mechanics, Optics and the questions filed under
Physics itself. Rows come in tree order, depth-first, comparing the ids along ``path`` as
numbers (``9/`` before ``10/``, where a string sort would put ``10/`` first). Questions
without a subject (or whose subject is not loaded) make one last "No subject" group.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from lms.models import Subject

NO_SUBJECT_NAME = "No subject"

Member = TypeVar("Member")


@dataclass(frozen=True)
class SubjectNode:
    """A subject of the tree as loaded for a report."""

    id: int
    name: str
    parent_id: int | None
    path: str
    depth: int

    @property
    def path_ids(self) -> tuple[int, ...]:
        """Ids from the root down to this subject itself, read from ``path``."""
        return tuple(int(part) for part in self.path.split("/") if part)


def ids_in_paths(paths: Iterable[str | None]) -> set[int]:
    """Every subject named along materialised paths (``"1/4/9/"``): the subjects and all
    their ancestors."""
    return {int(part) for path in paths for part in (path or "").split("/") if part}


def load_subjects(ids: Iterable[int]) -> list[SubjectNode]:
    """The subjects ``ids`` in one query (none when ``ids`` is empty)."""
    ids = set(ids)
    if not ids:
        return []
    found = (
        Subject.objects.filter(pk__in=ids)
        .order_by()
        .values_list("id", "name", "parent_id", "path", "depth")
    )
    return [SubjectNode(*values) for values in found]


@dataclass(frozen=True)
class RolledUp(Generic[Member]):  # noqa: UP046 (Python 3.11)
    """The groups of a roll-up: ``nodes`` in tree order, each with its subtree's members in
    ``members``; ``unfiled`` holds the members without a (loaded) subject."""

    nodes: list[SubjectNode]
    members: dict[int, list[Member]]
    unfiled: list[Member]

    def is_leaf(self, node: SubjectNode) -> bool:
        """No other node of this roll-up is a child of ``node``."""
        return node.id not in {other.parent_id for other in self.nodes}


def roll_up(
    items: Iterable[Member],
    subject_of: Callable[[Member], int | None],
    subjects: Iterable[SubjectNode],
) -> RolledUp[Member]:
    """Group ``items`` under their subject and every loaded ancestor of it.

    Only subjects with members below them appear; items whose subject is None or not in
    ``subjects`` are ``unfiled``.
    """
    nodes = {node.id: node for node in subjects}
    members: dict[int, list] = defaultdict(list)
    unfiled = []
    for item in items:
        node = nodes.get(subject_of(item))
        if node is None:
            unfiled.append(item)
            continue
        for subject_id in node.path_ids:
            if subject_id in nodes:
                members[subject_id].append(item)
    ordered = sorted((nodes[pk] for pk in members), key=lambda node: node.path_ids)
    return RolledUp(nodes=ordered, members=dict(members), unfiled=unfiled)
