"""Demo data for ``manage.py seed_demo``: a plan drawn from a seed, then written idempotently.

* :mod:`lms.demo.content`: the literal content as JSON data files (logins, courses, subject
  tree, question content, learner names, what simulated learners write).
* :mod:`lms.demo.problems`: the problem makers, questions computed from random numbers.
* :mod:`lms.demo.topics`: the question content of each subject, read from the data files.
* :mod:`lms.demo.plan`: the pure, seeded plan (:func:`~lms.demo.plan.build_plan`).
* :mod:`lms.demo.builder`: :class:`~lms.demo.builder.DemoBuilder` writes the plan, then the
  attempts.
* :mod:`lms.demo.simulation`: the model of a learner sitting an exam, shared by the two writers
  of attempts: :mod:`lms.demo.play` (through ``attempts.services``) and :mod:`lms.demo.bulk`
  (straight into the tables).

The names below are what ``manage.py seed_demo`` uses.
"""

from lms.demo.builder import DemoBuilder
from lms.demo.plan import COURSES, LEARNER_PASSWORD, LOGINS, SITE_URL, learner_username
from lms.demo.play import DEFAULT_DEMO_ATTEMPTS

__all__ = [
    "COURSES",
    "DEFAULT_DEMO_ATTEMPTS",
    "LEARNER_PASSWORD",
    "LOGINS",
    "SITE_URL",
    "DemoBuilder",
    "learner_username",
]
