import pytest

from lms.models import Subject
from tests.factories import SubjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree():
    science = SubjectFactory(name="Science")
    physics = SubjectFactory(name="Physics", parent=science)
    optics = SubjectFactory(name="Optics", parent=physics)
    lenses = SubjectFactory(name="Lenses", parent=optics)
    chemistry = SubjectFactory(name="Chemistry", parent=science)
    maths = SubjectFactory(name="Mathematics")
    return {s.name: s for s in (science, physics, optics, lenses, chemistry, maths)}


def test_path_and_depth_follow_the_parents(tree):
    science, physics, optics = tree["Science"], tree["Physics"], tree["Optics"]
    assert science.path == f"{science.pk}/"
    assert optics.path == f"{science.pk}/{physics.pk}/{optics.pk}/"
    assert (science.depth, physics.depth, optics.depth, tree["Lenses"].depth) == (0, 1, 2, 3)


def test_ancestors_are_ordered_from_the_root_in_one_query(tree, django_assert_num_queries):
    with django_assert_num_queries(1):
        names = [s.name for s in tree["Lenses"].ancestors()]
    assert names == ["Science", "Physics", "Optics"]
    assert list(tree["Science"].ancestors()) == []


def test_descendants_cover_every_level_in_one_query(tree, django_assert_num_queries):
    with django_assert_num_queries(1):
        names = {s.name for s in tree["Science"].descendants()}
    assert names == {"Physics", "Optics", "Lenses", "Chemistry"}
    assert list(tree["Lenses"].descendants()) == []


def test_descendants_do_not_match_a_sibling_with_a_longer_id_prefix():
    # Path "1/" must not match "12/": the trailing slash makes the prefix exact.
    subjects = [SubjectFactory(name=f"S{i}") for i in range(12)]
    first = subjects[0]
    SubjectFactory(name="child", parent=first)
    assert {s.name for s in first.descendants()} == {"child"}


def test_full_path_joins_names_from_the_root(tree):
    assert tree["Optics"].full_path == "Science › Physics › Optics"
    assert Subject.objects.get(pk=tree["Mathematics"].pk).full_path == "Mathematics"


def test_attach_full_paths_uses_one_query_for_many_subjects(tree, django_assert_num_queries):
    subjects = list(Subject.objects.all())
    with django_assert_num_queries(1):
        Subject.objects.attach_full_paths(subjects)
        paths = {s.name: s.full_path for s in subjects}
    assert paths["Lenses"] == "Science › Physics › Optics › Lenses"


def test_moving_a_branch_rewrites_the_paths_below_it(tree):
    optics = tree["Optics"]
    optics.parent = tree["Mathematics"]
    optics.save()
    lenses = Subject.objects.get(pk=tree["Lenses"].pk)
    assert lenses.path == f"{tree['Mathematics'].pk}/{optics.pk}/{lenses.pk}/"
    assert lenses.depth == 2
    assert [s.name for s in lenses.ancestors()] == ["Mathematics", "Optics"]
    assert {s.name for s in tree["Physics"].descendants()} == set()


def test_a_subject_cannot_move_below_itself(tree):
    science = tree["Science"]
    science.parent = tree["Optics"]
    with pytest.raises(ValueError, match="cannot move below itself"):
        science.save()
