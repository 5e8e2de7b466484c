"""The data files of ``lms/demo/content`` fit the code that draws from them.

Whoever edits the JSON learns here, not from a KeyError or a ``sample larger than population``
in the middle of ``seed_demo``, that a topic lacks content or names a maker that does not exist.
"""

from lms.demo.plan import COURSES, LEAF_PATHS, LOGINS
from lms.demo.problems import PROBLEM_MAKERS
from lms.demo.topics import APTITUDE, TOPICS


def test_every_leaf_subject_has_a_topic_and_every_topic_a_leaf():
    assert list(TOPICS) == list(LEAF_PATHS)


def test_every_problem_maker_is_used_by_a_topic():
    used = {maker for topic in (*TOPICS.values(), APTITUDE) for maker in topic.problems}

    assert used == set(PROBLEM_MAKERS.values())


def test_topics_hold_enough_content_for_every_kind_of_question():
    for topic in (*TOPICS.values(), APTITUDE):
        assert topic.problems, topic.label  # numeric questions
        # Multiple correct: 2 or 3 true statements and 4 options in all.
        assert len(topic.facts) >= 3, topic.label
        assert len(topic.myths) >= 2, topic.label
        assert all(len(set(c.wrong)) == 3 for c in topic.concepts), topic.label
        assert topic.short, topic.label
        assert all(accepted for _, accepted in topic.short), topic.label
        assert topic.essays, topic.label


def test_every_course_is_taught_by_a_demo_login():
    instructors = {login.username for login in LOGINS if login.role == "instructor"}

    assert {course.instructor for course in COURSES} <= instructors
