"""The demo's literal content, as JSON files beside this module (read with the stdlib).

* ``cast.json``: the demo logins (password, role, staff and superuser flags) and the courses
  with their instructor and the share of learners enrolled in each (``uptake``).
* ``subjects.json``: the subject tree, root › branch › leaves; leaf names are unique.
* ``topics.json``: per leaf subject (``by_subject``) and for the questions without subject
  (``without_subject``), the question content: a label, the names of its problem makers (code,
  in :mod:`lms.demo.problems`), concepts (stem, correct answer, three wrong ones), true
  statements (``facts``), false ones (``myths``), short questions with their accepted answers,
  and essay prompts. Text is an HTML fragment.
* ``chemistry.json``, ``events.json``: the tables some problem makers draw from.
* ``learners.json``: the first and last names learners are drawn from.
* ``replies.json``: what simulated learners write (essays, wrong short answers) and what the
  instructor comments on an essay, by the share of its marks.

The order of every list and object is part of the seeded output: a generator draws by
position, so reordering or inserting an item changes the demo data of every seed.
"""

import json
from pathlib import Path


def load(name: str):
    """The parsed ``<name>.json`` of this folder: plain dicts, lists, strings and numbers."""
    return json.loads(Path(__file__).with_name(f"{name}.json").read_text(encoding="utf-8"))
