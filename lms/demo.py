"""Demo data for ``manage.py seed_demo``: a plan drawn from a seed, then written idempotently.

Two steps keep the data deterministic and the writes idempotent:

* :func:`build_plan` draws everything random (question texts, choices, difficulties, exam
  placements, learners, enrollments) without touching the database or the clock, from
  ``random.Random`` instances seeded with the seed *and a part name*. The same seed gives the
  same plan; each part has its own generator, so changing the number of learners, or adding a
  part later (attempts), leaves the other parts as they were.
* :class:`DemoBuilder` writes the plan keyed on natural keys (username, course slug, subject
  (parent, name), exam (course, title), section (exam, title), question uuid, choice
  (question, order), placement (exam, question), enrollment (user, course)). It creates what
  is missing and updates what differs, so a second run changes no counts, and a run with
  another seed rewrites the same rows with that seed's data.

Every date is an offset from :data:`BASE`; question uuids come from a stable marker
(``question/<n>``), so question *n* is the same row whatever the seed.

Attempts come last (:mod:`lms.demo_attempts`): about a thousand played through the attempt
services, and on request (``--attempts``) any number more written in bulk. When the bank or the
exams' marking changes (another seed), the attempts at the demo exams no longer fit and are
replaced.
"""

import random
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import models, transaction
from tqdm import tqdm

from assessments.models import AnswerChoice, Exam, ExamQuestion, Question, Section
from attempts.models import Attempt
from lms.demo_attempts import (
    DEFAULT_DEMO_ATTEMPTS,
    ExamSim,
    Progress,
    bulk_attempts,
    create_demo_attempts,
    delete_exam_attempts,
    load_exams,
)
from lms.models import Course, Enrollment, Subject, User

D = Decimal
ZERO = D("0")
Kind = Question.Type
Difficulty = Question.Difficulty

# All demo dates are offsets from this instant, never timezone.now(): two runs give equal rows.
BASE = datetime(2026, 9, 1, tzinfo=UTC)
EXAMS_OPEN = BASE
# Far enough ahead that the demo can start attempts for a long while.
EXAMS_CLOSE = datetime(2027, 12, 31, 23, 59, tzinfo=UTC)
SITE_URL = "http://127.0.0.1:8000"
# Namespace of every uuid the demo derives (users, courses, exams, questions).
DEMO_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://lms-assessments.invalid/demo")
LEARNER_PREFIX = "learner"
LEARNER_PASSWORD = "learner"


def demo_uuid(marker: str) -> uuid.UUID:
    return uuid.uuid5(DEMO_NAMESPACE, marker)


# ---------------------------------------------------------------------------------------------
# Fixed cast: logins, courses and the subject tree (no randomness).
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str  # demo only: printed by the command
    role: str
    first_name: str
    last_name: str
    is_superuser: bool = False


LOGINS = (
    DemoLogin("admin", "admin", "superuser", "Ada", "Admin", is_superuser=True),
    DemoLogin("instructor1", "instructor1", "instructor", "Irene", "Iyer"),
    DemoLogin("instructor2", "instructor2", "instructor", "Ivan", "Ibarra"),
    DemoLogin("learner", "learner", "learner", "Lee", "Learner"),
)


@dataclass(frozen=True)
class CoursePlan:
    slug: str
    title: str
    instructor: str  # username; the course's only instructor


COURSES = (
    CoursePlan("physics-for-engineers", "Physics for Engineers", "instructor1"),
    CoursePlan("mathematics-foundations", "Mathematics Foundations", "instructor1"),
    CoursePlan("general-studies", "General Studies", "instructor2"),
)

# Root › branch › leaves. Leaf names are unique across the tree, so questions name their leaf.
SUBJECT_TREE = {
    "Science": {
        "Physics": ("Mechanics", "Optics", "Thermodynamics"),
        "Chemistry": ("Organic", "Inorganic"),
    },
    "Mathematics": {
        "Algebra": ("Linear algebra", "Polynomials"),
        "Calculus": ("Limits", "Integrals"),
    },
    "General Studies": {
        "History": ("Ancient", "Modern"),
        "Geography": ("Physical", "Human"),
    },
}


def subject_paths() -> list[tuple[str, ...]]:
    """Every node as its path of names, parents before children."""
    paths = []
    for root, branches in SUBJECT_TREE.items():
        paths.append((root,))
        for branch, leaves in branches.items():
            paths.append((root, branch))
            paths.extend((root, branch, leaf) for leaf in leaves)
    return paths


LEAF_PATHS = {path[-1]: path for path in subject_paths() if len(path) == 3}

# ---------------------------------------------------------------------------------------------
# Question content: per leaf, parametrised problems and fixed statements.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """A computed question: asked as numeric, or as single choice with nearby wrong values."""

    stem: str  # HTML fragment, without the enclosing <p>
    answer: Decimal
    unit: str = ""
    explanation: str = ""
    # Absolute tolerance of the numeric form (non-zero when the answer is rounded).
    tolerance: Decimal = ZERO
    # Distance between the wrong values of the single-choice form; None: about 10 % of answer.
    step: Decimal | None = None


ProblemMaker = Callable[[random.Random], Problem]


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


def _num(value: Decimal) -> str:
    """4.000000 -> "4", 2.50 -> "2.5" (never an exponent)."""
    text = f"{value.normalize():f}"
    return "0" if text == "-0" else text


def _year(value: int) -> str:
    return f"{-value} BCE" if value < 0 else f"{value} CE"


def _force(rng: random.Random) -> Problem:
    a, m = rng.randint(2, 9), rng.randint(2, 20)
    f = a * m
    return Problem(
        f"A body of mass {m} kg is acted on by a net force of {f} N. What is its acceleration?",
        D(a),
        "m/s<sup>2</sup>",
        f"a = F / m = {f} / {m} = {a} m/s<sup>2</sup>.",
    )


def _distance_from_rest(rng: random.Random) -> Problem:
    v, t = rng.randint(10, 30), rng.randint(2, 10)
    s = D(v * t) / 2
    return Problem(
        f"A car accelerates uniformly from rest to {v} m/s in {t} s. "
        "How far does it travel in that time?",
        s,
        "m",
        f"s = (u + v) t / 2 = (0 + {v}) × {t} / 2 = {_num(s)} m.",
    )


def _free_fall(rng: random.Random) -> Problem:
    t = rng.randint(1, 6)
    h = 5 * t * t
    return Problem(
        f"A stone is dropped from rest from a height of {h} m. Taking g = 10 m/s<sup>2</sup> "
        "and ignoring air resistance, how long does it take to reach the ground?",
        D(t),
        "s",
        f"h = g t<sup>2</sup> / 2, so t = √(2 × {h} / 10) = {t} s.",
    )


def _kinetic_energy(rng: random.Random) -> Problem:
    m, v = rng.randint(1, 10), rng.randint(2, 12)
    energy = D(m * v * v) / 2
    return Problem(
        f"What is the kinetic energy of a {m} kg trolley moving at {v} m/s?",
        energy,
        "J",
        f"E = m v<sup>2</sup> / 2 = {m} × {v}<sup>2</sup> / 2 = {_num(energy)} J.",
    )


def _mirror_focal_length(rng: random.Random) -> Problem:
    radius = 2 * rng.randint(5, 30)
    return Problem(
        f"A concave mirror has a radius of curvature of {radius} cm. What is its focal length?",
        D(radius // 2),
        "cm",
        f"f = R / 2 = {radius} / 2 = {radius // 2} cm.",
    )


def _lens_power(rng: random.Random) -> Problem:
    focal = rng.choice((10, 20, 25, 40, 50, 100))
    power = D(100) / focal
    return Problem(
        f"A convex lens has a focal length of {focal} cm. What is its power?",
        power,
        "dioptres",
        f"P = 1 / f (in metres) = 100 / {focal} = {_num(power)} D.",
    )


def _speed_in_medium(rng: random.Random) -> Problem:
    n = rng.choice((D("1.25"), D("1.5"), D("2"), D("2.4")))
    speed = D(3) / n
    return Problem(
        "Light travels at 3 × 10<sup>8</sup> m/s in vacuum. What is its speed in a medium of "
        f"refractive index {_num(n)}, in units of 10<sup>8</sup> m/s?",
        speed,
        "× 10<sup>8</sup> m/s",
        f"v = c / n = 3 / {_num(n)} = {_num(speed)} × 10<sup>8</sup> m/s.",
    )


def _heating_water(rng: random.Random) -> Problem:
    mass, rise = rng.choice((D("0.5"), D("1"), D("2"), D("2.5"))), rng.randint(5, 40)
    heat = mass * D("4.2") * rise
    return Problem(
        f"How much heat is needed to raise the temperature of {_num(mass)} kg of water by "
        f"{rise} K? The specific heat capacity of water is 4.2 kJ/(kg·K).",
        heat,
        "kJ",
        f"Q = m c ΔT = {_num(mass)} × 4.2 × {rise} = {_num(heat)} kJ.",
    )


def _kelvin(rng: random.Random) -> Problem:
    celsius = rng.randint(-40, 150)
    kelvin = celsius + D("273.15")
    return Problem(
        f"A thermometer reads {celsius} °C. What is this temperature in kelvin?",
        kelvin,
        "K",
        f"T = {celsius} + 273.15 = {_num(kelvin)} K.",
        step=D(5),
    )


def _carnot(rng: random.Random) -> Problem:
    hot, cold = rng.choice((400, 500, 600, 800)), rng.choice((200, 250, 300))
    efficiency = ((1 - D(cold) / hot) * 100).quantize(D("0.01"))
    return Problem(
        f"A Carnot engine works between reservoirs at {hot} K and {cold} K. What is its "
        "efficiency, in per cent? Round to two decimal places.",
        efficiency,
        "%",
        f"η = 1 − T<sub>c</sub> / T<sub>h</sub> = 1 − {cold} / {hot} ≈ {_num(efficiency)} %.",
        tolerance=D("0.01"),
    )


def _gas_work(rng: random.Random) -> Problem:
    pressure, volume = 100 * rng.randint(1, 5), rng.choice((D("0.01"), D("0.02"), D("0.05")))
    work = pressure * volume
    return Problem(
        f"A gas expands at a constant pressure of {pressure} kPa, its volume growing by "
        f"{_num(volume)} m<sup>3</sup>. How much work does it do?",
        work,
        "kJ",
        f"W = p ΔV = {pressure} kPa × {_num(volume)} m<sup>3</sup> = {_num(work)} kJ.",
    )


ALKANES = ("methane", "ethane", "propane", "butane", "pentane", "hexane", "heptane", "octane")
ALKENES = ("ethene", "propene", "butene", "pentene", "hexene", "heptene", "octene")


def _alkane_molar_mass(rng: random.Random) -> Problem:
    n = rng.randint(1, 8)
    mass = 14 * n + 2
    return Problem(
        f"What is the molar mass of {ALKANES[n - 1]}, C<sub>{n}</sub>H<sub>{2 * n + 2}</sub>? "
        "Use C = 12 and H = 1.",
        D(mass),
        "g/mol",
        f"{n} × 12 + {2 * n + 2} × 1 = {mass} g/mol.",
    )


def _alkene_hydrogens(rng: random.Random) -> Problem:
    n = rng.randint(2, 8)
    return Problem(
        f"How many hydrogen atoms does one molecule of {ALKENES[n - 2]} "
        f"(an alkene with {n} carbon atoms) contain?",
        D(2 * n),
        explanation=f"Alkenes are C<sub>n</sub>H<sub>2n</sub>: 2 × {n} = {2 * n}.",
    )


def _carbon_share(rng: random.Random) -> Problem:
    n = rng.randint(1, 4)
    share = (D(12 * n) / (14 * n + 2) * 100).quantize(D("0.01"))
    return Problem(
        f"What percentage of the mass of {ALKANES[n - 1]} is carbon? Use C = 12 and H = 1 "
        "and round to two decimal places.",
        share,
        "%",
        f"12 × {n} / ({14 * n + 2}) × 100 ≈ {_num(share)} %.",
        tolerance=D("0.01"),
    )


COMPOUNDS = (("NaCl", D("58.5")), ("H<sub>2</sub>O", D(18)), ("CO<sub>2</sub>", D(44)))


def _moles(rng: random.Random) -> Problem:
    (formula, molar), moles = rng.choice(COMPOUNDS), rng.choice((D("0.5"), D(1), D(2), D(3)))
    mass = molar * moles
    return Problem(
        f"How many moles are there in {_num(mass)} g of {formula} "
        f"(molar mass {_num(molar)} g/mol)?",
        moles,
        "mol",
        f"n = m / M = {_num(mass)} / {_num(molar)} = {_num(moles)} mol.",
    )


def _ph(rng: random.Random) -> Problem:
    exponent = rng.randint(1, 13)
    return Problem(
        "What is the pH of a solution whose hydrogen ion concentration is "
        f"1 × 10<sup>−{exponent}</sup> mol/L?",
        D(exponent),
        explanation=f"pH = −log<sub>10</sub>[H<sup>+</sup>] = {exponent}.",
    )


def _dilution(rng: random.Random) -> Problem:
    concentration, volume, factor = rng.randint(1, 6), 50 * rng.randint(1, 4), rng.choice((2, 4, 5))
    final = D(concentration) / factor
    return Problem(
        f"{volume} mL of a {concentration} mol/L solution is diluted with water to "
        f"{volume * factor} mL. What is the new concentration?",
        final,
        "mol/L",
        f"c<sub>2</sub> = c<sub>1</sub> V<sub>1</sub> / V<sub>2</sub> = {_num(final)} mol/L.",
    )


def _determinant(rng: random.Random) -> Problem:
    a, b, c, d = (rng.randint(-9, 9) for _ in range(4))
    return Problem(
        f"What is the determinant of the 2 × 2 matrix with rows ({a}, {b}) and ({c}, {d})?",
        D(a * d - b * c),
        explanation=f"ad − bc = ({a})({d}) − ({b})({c}) = {a * d - b * c}.",
    )


def _dot_product(rng: random.Random) -> Problem:
    u = [rng.randint(-5, 5) for _ in range(3)]
    v = [rng.randint(-5, 5) for _ in range(3)]
    dot = sum(x * y for x, y in zip(u, v, strict=True))
    return Problem(
        f"What is the dot product of u = ({', '.join(map(str, u))}) and "
        f"v = ({', '.join(map(str, v))})?",
        D(dot),
        explanation=f"Sum of the products of the components: {dot}.",
    )


def _vector_length(rng: random.Random) -> Problem:
    (x, y, r), k = rng.choice(((3, 4, 5), (5, 12, 13), (8, 15, 17))), rng.randint(1, 3)
    return Problem(
        f"What is the length of the vector ({k * x}, {k * y})?",
        D(k * r),
        explanation=f"√({k * x}<sup>2</sup> + {k * y}<sup>2</sup>) = {k * r}.",
    )


def _signed(coefficient: int, term: str) -> str:
    return f"{'−' if coefficient < 0 else '+'} {abs(coefficient)}{term}"


def _evaluate_polynomial(rng: random.Random) -> Problem:
    a, b, c, x = rng.randint(1, 5), rng.randint(-9, 9), rng.randint(-9, 9), rng.randint(-3, 4)
    value = a * x * x + b * x + c
    return Problem(
        f"Let p(x) = {a}x<sup>2</sup> {_signed(b, 'x')} {_signed(c, '')}. What is p({x})?",
        D(value),
        explanation=f"{a}({x})<sup>2</sup> + ({b})({x}) + ({c}) = {value}.",
    )


def _sum_of_roots(rng: random.Random) -> Problem:
    r1, r2 = rng.randint(-6, 6), rng.randint(-6, 6)
    total, product = r1 + r2, r1 * r2
    return Problem(
        f"What is the sum of the roots of x<sup>2</sup> {_signed(-total, 'x')} "
        f"{_signed(product, '')} = 0?",
        D(total),
        explanation=f"By Vieta's formulas the sum is −b / a = {total}.",
    )


def _remainder(rng: random.Random) -> Problem:
    a, b, k = rng.randint(-5, 5), rng.randint(-9, 9), rng.randint(-3, 3)
    value = k**3 + a * k + b
    return Problem(
        f"What is the remainder when x<sup>3</sup> {_signed(a, 'x')} {_signed(b, '')} is "
        f"divided by (x {_signed(-k, '')})?",
        D(value),
        explanation=f"By the remainder theorem it is p({k}) = {value}.",
    )


def _limit_difference_quotient(rng: random.Random) -> Problem:
    a = rng.randint(1, 9)
    return Problem(
        f"Evaluate the limit of (x<sup>2</sup> − {a * a}) / (x − {a}) as x tends to {a}.",
        D(2 * a),
        explanation=f"(x<sup>2</sup> − {a * a}) / (x − {a}) = x + {a}, which tends to {2 * a}.",
    )


def _limit_at_infinity(rng: random.Random) -> Problem:
    top, bottom = rng.randint(1, 20), rng.choice((2, 4, 5))
    ratio = D(top) / bottom
    return Problem(
        f"Evaluate the limit of ({top}x<sup>2</sup> + 1) / ({bottom}x<sup>2</sup> − 3) as x "
        "tends to infinity.",
        ratio,
        explanation=f"The ratio of the leading coefficients: {top} / {bottom} = {_num(ratio)}.",
    )


def _limit_sine(rng: random.Random) -> Problem:
    k = rng.randint(2, 9)
    return Problem(
        f"Evaluate the limit of sin({k}x) / x as x tends to 0.",
        D(k),
        explanation=f"sin({k}x) / x = {k} · sin({k}x) / ({k}x), which tends to {k}.",
    )


def _integral_linear(rng: random.Random) -> Problem:
    k, a = rng.randint(1, 6), rng.randint(1, 6)
    value = D(k * a * a) / 2
    return Problem(
        f"Evaluate the integral of {k}x from 0 to {a}.",
        value,
        explanation=f"[{k}x<sup>2</sup> / 2] from 0 to {a} = {_num(value)}.",
    )


def _integral_square(rng: random.Random) -> Problem:
    a = rng.randint(1, 5)
    return Problem(
        f"Evaluate the integral of 3x<sup>2</sup> from 0 to {a}.",
        D(a**3),
        explanation=f"[x<sup>3</sup>] from 0 to {a} = {a**3}.",
    )


def _integral_reciprocal(rng: random.Random) -> Problem:
    k = rng.randint(2, 6)
    return Problem(
        f"Evaluate the integral of 1/x from 1 to e<sup>{k}</sup>.",
        D(k),
        explanation=f"[ln x] from 1 to e<sup>{k}</sup> = {k}.",
    )


def _event_year(events: tuple[tuple[str, int], ...], *, bce: bool) -> ProblemMaker:
    hint = " Give years BCE as negative numbers (500 BCE is −500)." if bce else ""

    def make(rng: random.Random) -> Problem:
        event, year = rng.choice(events)
        return Problem(
            f"In which year did {event}?{hint}",
            D(year),
            explanation=f"In {_year(year) if bce else year}.",
            step=D(rng.choice((3, 5, 7))),
        )

    return make


ANCIENT_EVENTS = (
    ("the Battle of Marathon take place", -490),
    ("Alexander the Great die", -323),
    ("Julius Caesar die", -44),
    ("the Battle of Actium take place", -31),
    ("Mount Vesuvius bury Pompeii", 79),
)
MODERN_EVENTS = (
    ("the storming of the Bastille take place", 1789),
    ("the First World War begin", 1914),
    ("India become independent", 1947),
    ("the first crewed Moon landing take place", 1969),
    ("the Berlin Wall fall", 1989),
)


def _lapse_rate(rng: random.Random) -> Problem:
    sea_level, height = rng.randint(15, 35), 1000 * rng.randint(1, 4)
    temperature = sea_level - D("6.5") * height / 1000
    return Problem(
        f"Air cools by about 6.5 °C per kilometre of altitude. If it is {sea_level} °C at sea "
        f"level, what is the temperature at {height} m?",
        temperature,
        "°C",
        f"{sea_level} − 6.5 × {height // 1000} = {_num(temperature)} °C.",
    )


def _map_scale(rng: random.Random) -> Problem:
    scale, length = rng.choice((25_000, 50_000, 100_000)), rng.randint(2, 20)
    distance = D(length * scale) / 100_000
    return Problem(
        f"On a map with a scale of 1:{scale:,}, two towns are {length} cm apart. "
        "How far apart are they on the ground?",
        distance,
        "km",
        f"{length} cm × {scale:,} = {_num(distance)} km.",
    )


def _population_density(rng: random.Random) -> Problem:
    density, area = rng.randint(50, 900), rng.randint(10, 500)
    return Problem(
        f"A district of {area} km<sup>2</sup> has {density * area:,} inhabitants. What is its "
        "population density?",
        D(density),
        "people per km<sup>2</sup>",
        f"{density * area:,} / {area} = {density} people per km<sup>2</sup>.",
    )


def _population_growth(rng: random.Random) -> Problem:
    population, rate = 100 * rng.randint(50, 500), rng.choice((2, 3, 4, 5))
    grown = population * (100 + rate) // 100
    return Problem(
        f"A town of {population:,} people grows by {rate} % in a year. How many people live "
        "there at the end of the year?",
        D(grown),
        "people",
        f"{population:,} × 1.0{rate} = {grown:,}.",
    )


def _next_in_series(rng: random.Random) -> Problem:
    first, ratio = rng.randint(1, 5), rng.randint(2, 3)
    terms = [first * ratio**i for i in range(4)]
    return Problem(
        f"What is the next number in the series {', '.join(map(str, terms))}, …?",
        D(first * ratio**4),
        explanation=f"Each term is {ratio} times the previous one.",
    )


def _percentage_of(rng: random.Random) -> Problem:
    percent, whole = rng.choice((5, 10, 15, 20, 25, 40)), 20 * rng.randint(2, 30)
    part = D(percent * whole) / 100
    return Problem(
        f"What is {percent} % of {whole}?",
        part,
        explanation=f"{whole} × {percent} / 100 = {_num(part)}.",
    )


def _average_speed(rng: random.Random) -> Problem:
    speed, hours = rng.randint(30, 90), rng.randint(2, 5)
    return Problem(
        f"A bus covers {speed * hours} km in {hours} hours. What is its average speed?",
        D(speed),
        "km/h",
        f"{speed * hours} / {hours} = {speed} km/h.",
    )


TOPICS = {
    "Mechanics": Topic(
        "mechanics",
        (_force, _distance_from_rest, _free_fall, _kinetic_energy),
        (
            Concept(
                "Which quantity is conserved in every collision of an isolated system?",
                "Momentum",
                ("Kinetic energy", "Speed", "Acceleration"),
            ),
            Concept(
                "What is the SI unit of force?",
                "The newton",
                ("The joule", "The watt", "The pascal"),
            ),
            Concept(
                "What does the slope of a velocity–time graph give?",
                "Acceleration",
                ("Displacement", "Momentum", "Force"),
            ),
        ),
        (
            "Momentum is conserved in an isolated system.",
            "The SI unit of force is the newton.",
            "Acceleration is the rate of change of velocity.",
            "The weight of a body depends on the local gravitational field.",
        ),
        (
            "A body moving at constant velocity must have a net force acting on it.",
            "Mass is measured in newtons.",
            "In a vacuum, heavier bodies fall faster than lighter ones.",
            "Kinetic energy is proportional to speed.",
        ),
        (
            ("What is the product of a body's mass and its velocity called?", ("momentum",)),
            ("What is the SI unit of work and energy?", ("joule", "the joule", "J")),
        ),
        (
            "Explain Newton's three laws of motion, with an everyday example of each.",
            "Discuss the difference between mass and weight, and how each is measured.",
        ),
    ),
    "Optics": Topic(
        "optics",
        (_mirror_focal_length, _lens_power, _speed_in_medium),
        (
            Concept(
                "Which kind of lens corrects short-sightedness (myopia)?",
                "A concave (diverging) lens",
                ("A convex lens", "A cylindrical lens", "A plane glass plate"),
            ),
            Concept(
                "What causes a rainbow to show separate colours?",
                "Dispersion of light in water droplets",
                ("Reflection from clouds", "Polarisation by air", "Diffraction by dust"),
            ),
            Concept(
                "What is the image formed by a plane mirror?",
                "Virtual, upright and the same size",
                ("Real and inverted", "Virtual and magnified", "Real and diminished"),
            ),
        ),
        (
            "The angle of incidence equals the angle of reflection.",
            "Light slows down when it enters glass from air.",
            "A convex lens can form a real image.",
            "Total internal reflection needs light going towards a less dense medium.",
        ),
        (
            "A plane mirror forms a real image.",
            "Light travels faster in water than in vacuum.",
            "The power of a lens is measured in watts.",
            "A concave lens always forms a real image.",
        ),
        (
            (
                "What is the bending of light at the boundary between two media called?",
                ("refraction",),
            ),
            ("Which colour of visible light has the longest wavelength?", ("red",)),
        ),
        (
            "Explain how an optical fibre carries light, and why it matters for communication.",
            "Compare the images formed by concave and convex mirrors, with ray diagrams.",
        ),
    ),
    "Thermodynamics": Topic(
        "thermodynamics",
        (_heating_water, _kelvin, _carnot, _gas_work),
        (
            Concept(
                "What does the first law of thermodynamics express?",
                "Conservation of energy",
                ("Conservation of mass", "The increase of entropy", "Absolute zero"),
            ),
            Concept(
                "Which process happens at constant temperature?",
                "An isothermal process",
                ("An adiabatic process", "An isobaric process", "An isochoric process"),
            ),
        ),
        (
            "Heat flows by itself from a hotter body to a colder one.",
            "No heat engine working between two temperatures beats a Carnot engine.",
            "In an adiabatic process no heat is exchanged with the surroundings.",
            "Absolute zero is 0 K, or −273.15 °C.",
        ),
        (
            "A heat engine can turn all of the heat it takes in into work.",
            "Temperature and heat are the same physical quantity.",
            "The entropy of an isolated system can decrease on its own.",
            "Adding heat to a body always raises its temperature.",
        ),
        (
            (
                "What is the name of the temperature scale that starts at absolute zero?",
                ("kelvin", "the kelvin scale", "absolute"),
            ),
            ("What is the measure of disorder of a system called?", ("entropy",)),
        ),
        (
            "Explain the working of a refrigerator in terms of the laws of thermodynamics.",
            "Discuss why no real engine reaches the Carnot efficiency.",
        ),
    ),
    "Organic": Topic(
        "organic chemistry",
        (_alkane_molar_mass, _alkene_hydrogens, _carbon_share),
        (
            Concept(
                "What is the general formula of the alkanes?",
                "C<sub>n</sub>H<sub>2n+2</sub>",
                (
                    "C<sub>n</sub>H<sub>2n</sub>",
                    "C<sub>n</sub>H<sub>2n−2</sub>",
                    "C<sub>n</sub>H<sub>n</sub>",
                ),
            ),
            Concept(
                "Which functional group do alcohols contain?",
                "The hydroxyl group (−OH)",
                ("The carboxyl group", "The carbonyl group", "The amino group"),
            ),
        ),
        (
            "Alkenes contain at least one carbon–carbon double bond.",
            "Ethanol is an alcohol.",
            "Isomers share a molecular formula but differ in structure.",
            "Methane is the simplest alkane.",
        ),
        (
            "Benzene is a saturated hydrocarbon.",
            "Alkanes readily undergo addition reactions.",
            "All organic compounds are made by living things.",
            "Carboxylic acids are strong bases.",
        ),
        (
            ("Which gas is the main component of natural gas?", ("methane", "CH4")),
            ("Which element is present in every organic compound?", ("carbon", "C")),
        ),
        (
            "Explain what isomerism is, with two examples of structural isomers.",
            "Describe how crude oil is separated by fractional distillation.",
        ),
    ),
    "Inorganic": Topic(
        "inorganic chemistry",
        (_moles, _ph, _dilution),
        (
            Concept("Which of these is a noble gas?", "Argon", ("Nitrogen", "Chlorine", "Oxygen")),
            Concept(
                "What is formed when an acid reacts with a base?",
                "A salt and water",
                ("Hydrogen only", "An alkane", "Carbon dioxide only"),
            ),
        ),
        (
            "Sodium chloride is an ionic compound.",
            "A solution with a pH of 3 is acidic.",
            "The noble gases are in group 18 of the periodic table.",
            "Metals tend to lose electrons when they react.",
        ),
        (
            "Pure water has a pH of 2.",
            "Oxygen is a noble gas.",
            "Ionic compounds conduct electricity when solid.",
            "Group 1 metals become less reactive down the group.",
        ),
        (
            ("What is the chemical symbol of sodium?", ("Na",)),
            ("What is the common name of H<sub>2</sub>O?", ("water",)),
        ),
        (
            "Explain the trends in reactivity of the group 1 metals and why they occur.",
            "Describe what happens, particle by particle, when sodium chloride dissolves in water.",
        ),
    ),
    "Linear algebra": Topic(
        "linear algebra",
        (_determinant, _dot_product, _vector_length),
        (
            Concept(
                "When is a square matrix invertible?",
                "When its determinant is not zero",
                ("When it is symmetric", "When its trace is zero", "When it has no zero entry"),
            ),
            Concept(
                "What is the dimension of the space of 2 × 3 real matrices?",
                "6",
                ("5", "3", "9"),
            ),
        ),
        (
            "The identity matrix has determinant 1.",
            "Two vectors are orthogonal when their dot product is zero.",
            "Matrix multiplication is associative.",
            "The transpose of a product is the product of the transposes in reverse order.",
        ),
        (
            "Matrix multiplication is always commutative.",
            "Every square matrix is invertible.",
            "The determinant of a sum is the sum of the determinants.",
            "A set of three vectors in a plane is always linearly independent.",
        ),
        (
            ("What is the name of a matrix equal to its own transpose?", ("symmetric",)),
            ("What is the sum of the diagonal entries of a square matrix called?", ("trace",)),
        ),
        (
            "Explain what eigenvalues and eigenvectors are, with a 2 × 2 example.",
            "Describe Gaussian elimination and use it to solve a system of three equations.",
        ),
    ),
    "Polynomials": Topic(
        "polynomials",
        (_evaluate_polynomial, _sum_of_roots, _remainder),
        (
            Concept(
                "How many complex roots, counted with multiplicity, does a polynomial of degree "
                "5 have?",
                "5",
                ("4", "6", "It depends on the coefficients"),
            ),
            Concept(
                "What is the degree of (x<sup>2</sup> + 1)(x<sup>3</sup> − x)?",
                "5",
                ("6", "3", "2"),
            ),
        ),
        (
            "A quadratic with a negative discriminant has no real roots.",
            "If p(a) = 0 then (x − a) is a factor of p(x).",
            "The degree of a product of two non-zero polynomials is the sum of their degrees.",
            "Every polynomial of odd degree with real coefficients has a real root.",
        ),
        (
            "A cubic polynomial always has three distinct real roots.",
            "The sum of two polynomials of degree 3 always has degree 3.",
            "x<sup>2</sup> + 1 has two real roots.",
            "A polynomial of degree n always has n real roots.",
        ),
        (
            ("What is the name of a polynomial of degree 2?", ("quadratic", "a quadratic")),
            ("What is b<sup>2</sup> − 4ac of a quadratic called?", ("discriminant",)),
        ),
        (
            "Prove the remainder theorem and use it to factorise x<sup>3</sup> − 6x<sup>2</sup> "
            "+ 11x − 6.",
            "Explain the relation between the roots and the coefficients of a quadratic.",
        ),
    ),
    "Limits": Topic(
        "limits",
        (_limit_difference_quotient, _limit_at_infinity, _limit_sine),
        (
            Concept(
                "What is the limit of 1/x as x tends to infinity?", "0", ("1", "Infinity", "−1")
            ),
            Concept(
                "What is the limit of (1 + 1/n)<sup>n</sup> as n tends to infinity?",
                "e",
                ("1", "Infinity", "π"),
            ),
        ),
        (
            "A function continuous at a point has a limit there equal to its value.",
            "The limit of sin(x)/x as x tends to 0 is 1.",
            "The limit of a sum is the sum of the limits when both exist.",
            "A sequence that converges has exactly one limit.",
        ),
        (
            "Every bounded sequence converges.",
            "If f(a) is undefined, the limit of f at a cannot exist.",
            "The limit of 1/x as x tends to 0 is 0.",
            "A function with a limit at a point must be continuous there.",
        ),
        (
            ("What is the limit of (1 + 1/n)<sup>n</sup> as n grows called? (one letter)", ("e",)),
            (
                "Whose rule computes limits of 0/0 forms with derivatives?",
                ("L'Hôpital", "L'Hopital", "L'Hôpital's rule", "L'Hopital's rule"),
            ),
        ),
        (
            "Explain the ε–δ definition of a limit and apply it to f(x) = 2x + 1 at x = 3.",
            "Discuss the different kinds of discontinuity, with an example of each.",
        ),
    ),
    "Integrals": Topic(
        "integrals",
        (_integral_linear, _integral_square, _integral_reciprocal),
        (
            Concept(
                "What is the integral of cos x?",
                "sin x + C",
                ("−sin x + C", "cos x + C", "tan x + C"),
            ),
            Concept(
                "What does a definite integral of a positive function measure?",
                "The area under its graph",
                ("Its slope", "Its maximum", "Its average rate of change"),
            ),
        ),
        (
            "The integral of a derivative recovers the function up to a constant.",
            "Swapping the limits of a definite integral changes its sign.",
            "The integral of e<sup>x</sup> is e<sup>x</sup> + C.",
            "Integration is linear.",
        ),
        (
            "The integral of a product is the product of the integrals.",
            "Every continuous function has an elementary antiderivative.",
            "The integral of 1/x is x<sup>−2</sup> + C.",
            "A definite integral is always positive.",
        ),
        (
            ("What is the integral of 1/x? (in terms of x)", ("ln x", "ln|x|", "log x")),
            (
                "Which technique integrates a product using (uv)' = u'v + uv'?",
                ("integration by parts", "by parts"),
            ),
        ),
        (
            "State the fundamental theorem of calculus and explain why it holds.",
            "Use integration to find the volume of a cone of radius r and height h.",
        ),
    ),
    "Ancient": Topic(
        "ancient history",
        (_event_year(ANCIENT_EVENTS, bce=True),),
        (
            Concept(
                "Which river valley was home to the Harappan civilisation?",
                "The Indus",
                ("The Nile", "The Tigris", "The Yangtze"),
            ),
            Concept(
                "Who founded the Maurya Empire?",
                "Chandragupta Maurya",
                ("Ashoka", "Harsha", "Kanishka"),
            ),
            Concept(
                "Which city-state was famous for its military training of every citizen?",
                "Sparta",
                ("Athens", "Corinth", "Thebes"),
            ),
        ),
        (
            "The pyramids of Giza were built in Egypt.",
            "Ashoka spread Buddhism after the Kalinga war.",
            "The Roman Republic came before the Roman Empire.",
            "Cuneiform was written in Mesopotamia.",
        ),
        (
            "Julius Caesar was the first Roman emperor.",
            "The Great Wall of China was built in a single decade.",
            "The Olympic Games began in Rome.",
            "Hieroglyphs were used in ancient India.",
        ),
        (
            ("Which ancient city was buried by Mount Vesuvius?", ("Pompeii",)),
            ("In which country are the pyramids of Giza?", ("Egypt",)),
        ),
        (
            "Compare the governments of ancient Athens and Sparta.",
            "Discuss the causes of the decline of the Western Roman Empire.",
        ),
    ),
    "Modern": Topic(
        "modern history",
        (_event_year(MODERN_EVENTS, bce=False),),
        (
            Concept(
                "Who was the first Prime Minister of India?",
                "Jawaharlal Nehru",
                ("Sardar Patel", "B. R. Ambedkar", "Rajendra Prasad"),
            ),
            Concept(
                "Which event started the First World War?",
                "The assassination of Archduke Franz Ferdinand",
                (
                    "The sinking of the Lusitania",
                    "The fall of the Bastille",
                    "The Treaty of Versailles",
                ),
            ),
        ),
        (
            "The United Nations was founded in 1945.",
            "The Industrial Revolution began in Britain.",
            "The Berlin Wall divided the city of Berlin.",
            "Mahatma Gandhi led the Salt March in 1930.",
        ),
        (
            "The French Revolution began in 1848.",
            "The Cold War was a direct war between the USA and the USSR.",
            "The First World War ended in 1939.",
            "The League of Nations was founded after the Second World War.",
        ),
        (
            ("Which wall fell in 1989?", ("the Berlin Wall", "Berlin Wall", "Berlin")),
            ("Who wrote the Communist Manifesto with Friedrich Engels?", ("Karl Marx", "Marx")),
        ),
        (
            "Discuss the main causes of the First World War.",
            "Explain the role of non-violence in the Indian independence movement.",
        ),
    ),
    "Physical": Topic(
        "physical geography",
        (_lapse_rate, _map_scale),
        (
            Concept(
                "Which layer of the atmosphere contains most of the weather?",
                "The troposphere",
                ("The stratosphere", "The mesosphere", "The thermosphere"),
            ),
            Concept(
                "What is the longest river in the world by most measurements?",
                "The Nile",
                ("The Ganges", "The Mississippi", "The Danube"),
            ),
        ),
        (
            "The Himalayas were formed by colliding tectonic plates.",
            "Air gets cooler with altitude in the troposphere.",
            "The Pacific is the largest ocean.",
            "Deltas form where rivers deposit sediment at their mouths.",
        ),
        (
            "The equator passes through India.",
            "Glaciers only exist near the poles.",
            "Earthquakes happen only at the edges of continents.",
            "The Sahara is the largest cold desert.",
        ),
        (
            ("What is the highest mountain above sea level?", ("Everest", "Mount Everest")),
            ("What is the name of molten rock below the Earth's surface?", ("magma",)),
        ),
        (
            "Explain how the monsoon forms and why it matters for South Asia.",
            "Describe the stages of a river's course from source to mouth.",
        ),
    ),
    "Human": Topic(
        "human geography",
        (_population_density, _population_growth),
        (
            Concept(
                "What does urbanisation mean?",
                "A growing share of people living in towns and cities",
                ("Building new roads", "Farming on terraces", "Moving from cities to villages"),
            ),
            Concept(
                "Which is a primary economic activity?",
                "Fishing",
                ("Banking", "Car manufacturing", "Software development"),
            ),
        ),
        (
            "Population density is the number of people per unit of area.",
            "Migration can be internal, within one country.",
            "Agriculture is a primary economic activity.",
            "Birth rate and death rate together shape natural population growth.",
        ),
        (
            "Urban areas always have a lower population density than rural areas.",
            "Banking is a primary economic activity.",
            "Migration only happens between countries.",
            "A country's population can only grow through births.",
        ),
        (
            ("What is the movement of people from one place to another called?", ("migration",)),
            ("What is the study of human populations called?", ("demography",)),
        ),
        (
            "Discuss the push and pull factors of rural-to-urban migration.",
            "Explain how the demographic transition model describes population change.",
        ),
    ),
}

# Questions without a subject: general aptitude, as some banks hold them.
APTITUDE = Topic(
    "logical reasoning",
    (_next_in_series, _percentage_of, _average_speed),
    (
        Concept("Which word is the odd one out?", "Carrot", ("Apple", "Mango", "Banana")),
        Concept(
            "If all roses are flowers and some flowers fade quickly, which follows?",
            "Nothing certain about roses fading",
            ("All roses fade quickly", "No rose fades quickly", "Some roses fade quickly"),
        ),
    ),
    (
        "If every square is a rectangle, every square has four right angles.",
        "Doubling both numbers of a ratio leaves it unchanged.",
        "An odd number plus an odd number is even.",
        "Ten per cent of 250 is 25.",
    ),
    (
        "If some cats are black and some black things are cars, some cats are cars.",
        "Twenty per cent of 50 is 20.",
        "The product of two negative numbers is negative.",
        "A week has 170 hours.",
    ),
    (("What is the next letter in A, C, E, G, …?", ("I",)),),
    ("Explain a strategy for estimating answers quickly under time pressure.",),
)

# How many questions of each kind every leaf subject (and the aptitude set) gets: 11 per leaf
# and 5 without subject give 148 questions. Exams pick from these pools (see _plan_exams).
LEAF_QUOTA = {
    Kind.SINGLE: 3,
    Kind.MULTIPLE: 2,
    Kind.TRUE_FALSE: 2,
    Kind.NUMERIC: 2,
    Kind.SHORT_TEXT: 1,
    Kind.ESSAY: 1,
}
APTITUDE_QUOTA = {
    Kind.SINGLE: 1,
    Kind.MULTIPLE: 1,
    Kind.TRUE_FALSE: 1,
    Kind.NUMERIC: 1,
    Kind.SHORT_TEXT: 1,
}
# Share of each difficulty in the bank; None is "not labelled".
DIFFICULTY_WEIGHTS = {Difficulty.EASY: 35, Difficulty.MEDIUM: 35, Difficulty.HARD: 20, None: 10}

# ---------------------------------------------------------------------------------------------
# The plan: plain values, no database.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChoicePlan:
    text_html: str
    is_correct: bool


@dataclass(frozen=True)
class QuestionPlan:
    key: uuid.UUID  # Question.uuid
    type: str
    subject: tuple[str, ...] | None  # path of names from the root, None for no subject
    text_html: str
    explanation_html: str = ""
    difficulty: str | None = None
    numeric_answer: Decimal | None = None
    numeric_tolerance: Decimal = ZERO
    accepted_answers: tuple[str, ...] = ()
    choices: tuple[ChoicePlan, ...] = ()


@dataclass(frozen=True)
class PlacementPlan:
    question: uuid.UUID
    marks: Decimal
    negative_marks: Decimal = ZERO
    partial_marks: Decimal | None = None
    is_bonus: bool = False


@dataclass(frozen=True)
class SectionPlan:
    title: str
    placements: tuple[PlacementPlan, ...]


@dataclass(frozen=True)
class ExamPlan:
    course: str  # slug
    title: str
    description: str
    sections: tuple[SectionPlan, ...]
    duration: timedelta | None
    pass_percentage: Decimal | None
    max_attempts: int | None
    rank_policy: str


@dataclass(frozen=True)
class EnrollmentPlan:
    course: str  # slug
    status: str
    enrolled_at: datetime
    due_at: datetime | None = None
    expires_at: datetime | None = None


@dataclass(frozen=True)
class LearnerPlan:
    username: str
    first_name: str
    last_name: str
    email: str
    phone: str
    joined_at: datetime
    enrollments: tuple[EnrollmentPlan, ...]

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@dataclass(frozen=True)
class DemoPlan:
    seed: int
    questions: tuple[QuestionPlan, ...]
    exams: tuple[ExamPlan, ...]
    learners: tuple[LearnerPlan, ...]


def part_rng(seed: int, part: str) -> random.Random:
    """A generator for one part of the plan (string seeds hash the same in every process)."""
    return random.Random(f"{seed}/{part}")


def build_plan(*, seed: int = 42, learners: int = 300) -> DemoPlan:
    questions = _plan_questions(part_rng(seed, "questions"))
    return DemoPlan(
        seed=seed,
        questions=questions,
        exams=_plan_exams(part_rng(seed, "exams"), questions),
        learners=_plan_learners(part_rng(seed, "learners"), learners),
    )


def _p(text: str) -> str:
    return f"<p>{text}</p>"


def _plan_questions(rng: random.Random) -> tuple[QuestionPlan, ...]:
    drafts: list[dict] = []
    for leaf, topic in TOPICS.items():
        drafts.extend(_draft_topic(rng, topic, LEAF_QUOTA, subject=LEAF_PATHS[leaf]))
    drafts.extend(_draft_topic(rng, APTITUDE, APTITUDE_QUOTA, subject=None))
    # Fixed proportions, shuffled (not drawn one by one): every difficulty occurs whatever
    # the seed. The last level takes what rounding leaves.
    difficulties = [
        level
        for level, weight in DIFFICULTY_WEIGHTS.items()
        for _ in range(max(1, round(len(drafts) * weight / 100)))
    ][: len(drafts)]
    difficulties += [None] * (len(drafts) - len(difficulties))
    rng.shuffle(difficulties)
    return tuple(
        QuestionPlan(key=demo_uuid(f"question/{n}"), difficulty=level, **draft)
        for n, (draft, level) in enumerate(zip(drafts, difficulties, strict=True))
    )


def _draft_topic(
    rng: random.Random, topic: Topic, quota: dict[str, int], *, subject: tuple[str, ...] | None
) -> list[dict]:
    """Question fields (all but key and difficulty) for one topic, kinds in a fixed order."""
    drafts = []
    for kind, count in quota.items():
        for _ in range(count):
            draft = _DRAFTERS[kind](rng, topic)
            drafts.append({"type": kind.value, "subject": subject, **draft})
    return drafts


def _draft_single(rng: random.Random, topic: Topic) -> dict:
    source = rng.choice(topic.problems + topic.concepts)
    if isinstance(source, Concept):
        options = [(source.correct, True)] + [(text, False) for text in source.wrong]
        rng.shuffle(options)
        return {
            "text_html": _p(source.stem),
            "choices": tuple(ChoicePlan(text, correct) for text, correct in options),
        }
    problem = source(rng)
    values = [(problem.answer, True)] + [(v, False) for v in _wrong_values(rng, problem)]
    rng.shuffle(values)
    return {
        "text_html": _p(problem.stem),
        "explanation_html": _p(problem.explanation) if problem.explanation else "",
        "choices": tuple(
            ChoicePlan(f"{_num(value)} {problem.unit}".strip(), correct)
            for value, correct in values
        ),
    }


def _wrong_values(rng: random.Random, problem: Problem) -> list[Decimal]:
    """Three plausible wrong values near the answer, keeping its sign and precision."""
    answer = problem.answer
    unit = D(1).scaleb(min(answer.as_tuple().exponent, 0))
    step = problem.step or max((abs(answer) / 10).quantize(unit), unit)
    near = {answer + k * step for k in (-3, -2, -1, 1, 2, 3)}
    if answer:
        near |= {(answer * 2).quantize(unit), (answer / 2).quantize(unit)}
    candidates = sorted(
        v
        for v in near
        if v != answer and (v >= 0 or answer < 0) and (problem.unit != "%" or v <= 100)
    )
    return rng.sample(candidates, 3)


def _draft_multiple(rng: random.Random, topic: Topic) -> dict:
    correct = rng.choice((2, 3))
    options = [(s, True) for s in rng.sample(topic.facts, correct)]
    options += [(s, False) for s in rng.sample(topic.myths, 4 - correct)]
    rng.shuffle(options)
    return {
        "text_html": _p(f"Which of the following statements about {topic.label} are correct?"),
        "explanation_html": _p(f"{correct} of the four statements are correct."),
        "choices": tuple(ChoicePlan(text, is_true) for text, is_true in options),
    }


def _draft_true_false(rng: random.Random, topic: Topic) -> dict:
    is_true = rng.random() < 0.5
    statement = rng.choice(topic.facts if is_true else topic.myths)
    return {
        "text_html": _p("True or false?") + _p(statement),
        "choices": (ChoicePlan("True", is_true), ChoicePlan("False", not is_true)),
    }


def _draft_numeric(rng: random.Random, topic: Topic) -> dict:
    problem = rng.choice(topic.problems)(rng)
    hint = {"": "Give a number.", "%": "Give your answer as a percentage."}.get(
        problem.unit, f"Give your answer in {problem.unit}."
    )
    return {
        "text_html": _p(problem.stem) + _p(hint),
        "explanation_html": _p(problem.explanation) if problem.explanation else "",
        "numeric_answer": problem.answer,
        "numeric_tolerance": problem.tolerance,
    }


def _draft_short_text(rng: random.Random, topic: Topic) -> dict:
    stem, accepted = rng.choice(topic.short)
    return {
        "text_html": _p(stem) + _p("Answer in a word or two."),
        "explanation_html": _p(f"Accepted: {', '.join(accepted)}."),
        "accepted_answers": accepted,
    }


def _draft_essay(rng: random.Random, topic: Topic) -> dict:
    words = rng.choice((200, 300, 400))
    return {
        "text_html": _p(rng.choice(topic.essays)) + _p(f"Write about {words} words."),
        "explanation_html": _p("Marked by an instructor against the course rubric."),
    }


_DRAFTERS: dict[str, Callable[[random.Random, Topic], dict]] = {
    Kind.SINGLE: _draft_single,
    Kind.MULTIPLE: _draft_multiple,
    Kind.TRUE_FALSE: _draft_true_false,
    Kind.NUMERIC: _draft_numeric,
    Kind.SHORT_TEXT: _draft_short_text,
    Kind.ESSAY: _draft_essay,
}


def _plan_exams(rng: random.Random, questions: Iterable[QuestionPlan]) -> tuple[ExamPlan, ...]:
    pools: dict[tuple[str, str], list[uuid.UUID]] = defaultdict(list)
    for question in questions:
        if question.subject:
            pools[question.subject[-1], question.type].append(question.key)

    def pick(leaves: Iterable[str], kinds: Iterable[str], k: int | None = None) -> list:
        keys = [key for leaf in leaves for kind in kinds for key in pools[leaf, kind]]
        return rng.sample(keys, len(keys) if k is None else k)  # a shuffled subset

    physics = ("Mechanics", "Optics", "Thermodynamics")
    chemistry = ("Organic", "Inorganic")
    maths = ("Linear algebra", "Polynomials", "Limits", "Integrals")
    history, geography = ("Ancient", "Modern"), ("Physical", "Human")
    objective = (Kind.SINGLE, Kind.NUMERIC, Kind.TRUE_FALSE)

    # Negative marking: 4 for a right answer, 1 off for a wrong one.
    mock = ExamPlan(
        course="physics-for-engineers",
        title="Physics Mock Test 1",
        description="Full mock test: +4 for a correct answer, −1 for a wrong one.",
        sections=tuple(
            SectionPlan(
                leaf,
                tuple(PlacementPlan(key, D(4), D(1)) for key in pick([leaf], objective)),
            )
            for leaf in physics
        ),
        duration=timedelta(minutes=60),
        pass_percentage=D(40),
        max_attempts=3,
        rank_policy=Exam.RankPolicy.FIRST,
    )

    # JEE Advanced style: +4 for the full key, +1 per correct option of a proper subset when
    # no wrong option is chosen, −2 for any wrong option.
    def jee(keys: list) -> tuple[PlacementPlan, ...]:
        return tuple(PlacementPlan(key, D(4), D(2), partial_marks=D(1)) for key in keys)

    multiple = ExamPlan(
        course="physics-for-engineers",
        title="JEE-style Multiple Correct Practice",
        description="One or more options are correct. Partial marks for a correct subset.",
        sections=(
            SectionPlan("Physics", jee(pick(physics, [Kind.MULTIPLE]))),
            SectionPlan("Chemistry", jee(pick(chemistry, [Kind.MULTIPLE]))),
            SectionPlan("Mathematics", jee(pick(maths, [Kind.MULTIPLE], 4))),
        ),
        duration=timedelta(minutes=45),
        pass_percentage=D(35),
        max_attempts=None,
        rank_policy=Exam.RankPolicy.FIRST,
    )

    # One flawed question is a bonus: everybody gets its marks.
    quiz_sections = [
        ("History", pick(history, [Kind.SINGLE, Kind.TRUE_FALSE])),
        ("Geography", pick(geography, [Kind.SINGLE, Kind.TRUE_FALSE])),
    ]
    kinds = {q.key: q.type for q in questions}
    bonus = rng.choice([key for _, keys in quiz_sections for key in keys])
    quiz = ExamPlan(
        course="general-studies",
        title="General Studies Quiz",
        description="Practice quiz: no time limit, no pass mark, retake it as often as you like.",
        sections=tuple(
            SectionPlan(
                title,
                tuple(
                    PlacementPlan(
                        key, D(2) if kinds[key] == Kind.SINGLE else D(1), is_bonus=key == bonus
                    )
                    for key in keys
                ),
            )
            for title, keys in quiz_sections
        ),
        duration=None,
        pass_percentage=None,
        max_attempts=None,
        rank_policy=Exam.RankPolicy.BEST,
    )

    part_a = rng.sample(pick(maths, [Kind.SINGLE], 6) + pick(maths, [Kind.NUMERIC], 4), 10)
    part_b = pick(maths, [Kind.SHORT_TEXT]) + pick(maths, [Kind.ESSAY], 2)
    written_marks = {Kind.SHORT_TEXT: D(3), Kind.ESSAY: D(10)}
    midterm = ExamPlan(
        course="mathematics-foundations",
        title="Mathematics Midterm",
        description="Part A is machine-marked; essays in Part B are marked by your instructor.",
        sections=(
            SectionPlan(
                "Part A: Objective",
                tuple(
                    PlacementPlan(key, D(2) if kinds[key] == Kind.SINGLE else D(3))
                    for key in part_a
                ),
            ),
            SectionPlan(
                "Part B: Written",
                tuple(PlacementPlan(key, written_marks[kinds[key]]) for key in part_b),
            ),
        ),
        duration=timedelta(minutes=90),
        pass_percentage=D(50),
        max_attempts=2,
        rank_policy=Exam.RankPolicy.LAST,
    )
    return (mock, multiple, quiz, midterm)


FIRST_NAMES = (
    "Aarav", "Aditi", "Akash", "Ananya", "Arjun", "Bhavna", "Chen", "Deepa", "Diego", "Divya",
    "Emma", "Farhan", "Gauri", "Hana", "Ishaan", "Jia", "Kabir", "Kavya", "Lucas", "Maya",
    "Meera", "Mohammed", "Nikhil", "Nisha", "Omar", "Priya", "Rahul", "Riya", "Rohan", "Sara",
    "Sneha", "Tanvi", "Varun", "Vikram", "Yash", "Zara",
)  # fmt: skip
LAST_NAMES = (
    "Agarwal", "Banerjee", "Bose", "Chatterjee", "Das", "D'Souza", "Fernandes", "Ghosh",
    "Gupta", "Iyer", "Joshi", "Kapoor", "Khan", "Kumar", "Mehta", "Menon", "Mishra", "Nair",
    "Patel", "Pillai", "Rao", "Reddy", "Sharma", "Singh", "Verma", "Wang", "Garcia", "Smith",
)  # fmt: skip
# Most enrollments are active; the others exist so lists and filters have something to show.
ENROLLMENT_STATUS_WEIGHTS = {
    Enrollment.Status.ACTIVE: 88,
    Enrollment.Status.SUSPENDED: 4,
    Enrollment.Status.COMPLETED: 5,
    Enrollment.Status.EXPIRED: 3,
}
# Share of learners enrolled in each course.
COURSE_UPTAKE = {
    "physics-for-engineers": 0.8,
    "mathematics-foundations": 0.7,
    "general-studies": 0.6,
}


def learner_username(n: int) -> str:
    return f"{LEARNER_PREFIX}{n:03d}"


def _plan_learners(rng: random.Random, count: int) -> tuple[LearnerPlan, ...]:
    statuses, weights = list(ENROLLMENT_STATUS_WEIGHTS), list(ENROLLMENT_STATUS_WEIGHTS.values())
    learners = []
    for n in range(1, count + 1):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        joined = BASE - timedelta(days=rng.randint(30, 120), minutes=rng.randrange(24 * 60))
        phone = f"+91 9{rng.randrange(10**9):09d}" if rng.random() < 0.6 else ""
        courses = [slug for slug, share in COURSE_UPTAKE.items() if rng.random() < share]
        enrollments = []
        for slug in courses or [rng.choice(list(COURSE_UPTAKE))]:
            enrolled = joined + timedelta(days=rng.randint(0, 20), minutes=rng.randrange(600))
            status = rng.choices(statuses, weights)[0]
            expires = None
            if status == Enrollment.Status.EXPIRED:
                expires = enrolled + timedelta(days=30)
            elif rng.random() < 0.2:
                expires = BASE + timedelta(days=365)
            due = BASE + timedelta(days=120) if rng.random() < 0.5 else None
            enrollments.append(EnrollmentPlan(slug, status, enrolled, due, expires))
        email_name = f"{first}.{last}".lower().replace("'", "")
        learners.append(
            LearnerPlan(
                username=learner_username(n),
                first_name=first,
                last_name=last,
                email=f"{email_name}.{n:03d}@example.com",
                phone=phone,
                joined_at=joined,
                enrollments=tuple(enrollments),
            )
        )
    return tuple(learners)


# ---------------------------------------------------------------------------------------------
# Writing the plan.
# ---------------------------------------------------------------------------------------------


@dataclass
class SyncResult:
    created: int = 0
    updated: int = 0
    deleted: int = 0

    def __str__(self):
        text = f"{self.created} created, {self.updated} updated"
        return f"{text}, {self.deleted} removed" if self.deleted else text


def sync_rows(
    queryset: models.QuerySet,
    key: tuple[str, ...],
    rows: list[dict],
    *,
    create_only: tuple[str, ...] = (),
    delete_stale: bool = False,
) -> SyncResult:
    """Make ``queryset`` hold ``rows`` (field dicts), matched on the ``key`` fields.

    Missing rows are bulk-created, rows whose fields differ bulk-updated (``create_only`` fields
    are set on creation only), and with ``delete_stale`` the rows of ``queryset`` that match no
    row are deleted. One read, then at most a delete, a bulk insert and a bulk update (each in
    batches): the number of queries does not grow with the number of rows.
    """
    model = queryset.model
    existing = {tuple(getattr(obj, f) for f in key): obj for obj in queryset}
    wanted, new, changed, fields = set(), [], [], set()
    for row in rows:
        row_key = tuple(row[f] for f in key)
        wanted.add(row_key)
        obj = existing.get(row_key)
        if obj is None:
            new.append(model(**row))
            continue
        diff = [f for f, v in row.items() if f not in create_only and getattr(obj, f) != v]
        for name in diff:
            setattr(obj, name, row[name])
        if diff:
            changed.append(obj)
            fields.update(diff)
    result = SyncResult(created=len(new), updated=len(changed))
    if delete_stale:
        stale = [obj.pk for row_key, obj in existing.items() if row_key not in wanted]
        if stale:
            result.deleted = len(stale)
            model.objects.filter(pk__in=stale).delete()
    if new:
        model.objects.bulk_create(new)
    if changed:
        model.objects.bulk_update(changed, sorted(fields))
    return result


def no_progress(total: int, desc: str) -> tqdm:
    return tqdm(total=total, desc=desc, disable=True)


# The first learners of the plan (and the demo login) take the attempts played through the
# services; more learners (--learners) only add to the bulk attempts' population.
SERVICE_LEARNERS = 300


@dataclass
class DemoBuilder:
    """Writes a :class:`DemoPlan`; ``run()`` calls the steps in order, inside one transaction,
    then writes the bulk attempts (if any) in transactions of their own, a chunk at a time.

    Each step reads what earlier steps stored on the builder (users, courses, subjects, ...).
    """

    seed: int = 42
    learner_count: int = 300
    # Attempts played through attempts.services (skipped when the demo's attempts exist).
    demo_attempts: int = DEFAULT_DEMO_ATTEMPTS
    # Target number of attempts written in bulk (0: none); a re-run tops up to it.
    bulk_attempts: int = 0
    log: Callable[[str], object] = lambda line: None
    progress: Progress = no_progress
    plan: DemoPlan = field(init=False)
    users_by_name: dict[str, User] = field(init=False, default_factory=dict)
    courses_by_slug: dict[str, Course] = field(init=False, default_factory=dict)
    subjects_by_path: dict[tuple[str, ...], Subject] = field(init=False, default_factory=dict)
    questions_by_key: dict[uuid.UUID, Question] = field(init=False, default_factory=dict)
    exams_by_title: dict[str, Exam] = field(init=False, default_factory=dict)
    # The bank's content changed in this run: attempts at the demo exams no longer fit it.
    bank_changed: bool = field(init=False, default=False)
    summary: dict[str, int] = field(init=False, default_factory=dict)

    def __post_init__(self):
        self.plan = build_plan(seed=self.seed, learners=self.learner_count)

    def run(self) -> dict[str, int]:
        """Build everything; returns the number of demo rows of each kind."""
        with transaction.atomic():
            self.users()
            self.courses()
            self.subjects()
            self.questions()
            self.exams()
            self.learners()
            sims = load_exams(self.exams_by_title[p.title] for p in self.plan.exams)
            self.attempts(sims)
        if self.bulk_attempts:
            self.bulk(sims)
        exams = list(self.exams_by_title.values())
        self.summary["attempts"] = Attempt.objects.filter(exam__in=exams).count()
        return dict(self.summary)

    def users(self) -> None:
        created = []
        for login in LOGINS:
            fields = {
                "first_name": login.first_name,
                "last_name": login.last_name,
                "display_name": f"{login.first_name} {login.last_name}",
                "email": f"{login.username}@example.com",
                "is_staff": login.is_superuser,
                "is_superuser": login.is_superuser,
                "is_active": True,
            }
            user, was_created = User.objects.update_or_create(
                username=login.username,
                defaults=fields,
                create_defaults={
                    **fields,
                    "uuid": demo_uuid(f"user/{login.username}"),
                    "date_joined": BASE - timedelta(days=150),
                },
            )
            # Reset on every run so that the printed logins always work.
            user.set_password(login.password)
            user.save(update_fields=["password"])
            self.users_by_name[user.username] = user
            if was_created:
                created.append(user.username)
        self.summary["users"] = len(LOGINS)
        self.log(f"Logins: {', '.join(u.username for u in LOGINS)} ({len(created)} created)")

    def courses(self) -> None:
        created = 0
        for n, plan in enumerate(COURSES):
            fields = {"title": plan.title, "status": Course.Status.PUBLISHED}
            course, was_created = Course.objects.update_or_create(
                slug=plan.slug,
                defaults=fields,
                create_defaults={
                    **fields,
                    "uuid": demo_uuid(f"course/{plan.slug}"),
                    "created_at": BASE - timedelta(days=120 - n),
                },
            )
            # The demo owns its courses: exactly the planned instructor, nobody else.
            course.instructors.set([self.users_by_name[plan.instructor]])
            self.courses_by_slug[plan.slug] = course
            created += was_created
        self.summary["courses"] = len(COURSES)
        taught = "; ".join(f"{c.title} ({c.instructor})" for c in COURSES)
        self.log(f"Courses: {taught} ({created} created)")

    def subjects(self) -> None:
        created = 0
        for path in subject_paths():  # parents first: save() builds the child's path from them
            parent = self.subjects_by_path.get(path[:-1])
            subject, was_created = Subject.objects.get_or_create(parent=parent, name=path[-1])
            self.subjects_by_path[path] = subject
            created += was_created
        self.summary["subjects"] = len(self.subjects_by_path)
        self.log(
            f"Subjects: {len(self.subjects_by_path)} in a 3-level tree "
            f"(Science › Physics › Mechanics, ...) ({created} created)"
        )

    def questions(self) -> None:
        plans = self.plan.questions
        keys = [q.key for q in plans]
        rows = [
            {
                "uuid": q.key,
                "type": q.type,
                "text_html": q.text_html,
                "explanation_html": q.explanation_html,
                "subject_id": self.subjects_by_path[q.subject].pk if q.subject else None,
                "difficulty": q.difficulty,
                "numeric_answer": q.numeric_answer,
                "numeric_tolerance": q.numeric_tolerance,
                "accepted_answers": list(q.accepted_answers),
                # Spread over the weeks before the exams open, in bank order.
                "created_at": BASE - timedelta(days=90) + timedelta(hours=n),
            }
            for n, q in enumerate(plans)
        ]
        result = sync_rows(Question.objects.filter(uuid__in=keys), ("uuid",), rows)
        self.questions_by_key = {q.uuid: q for q in Question.objects.filter(uuid__in=keys)}
        choice_rows = [
            {
                "question_id": self.questions_by_key[q.key].pk,
                "order": order,
                "text_html": choice.text_html,
                "is_correct": choice.is_correct,
            }
            for q in plans
            for order, choice in enumerate(q.choices, start=1)
        ]
        choices = sync_rows(
            AnswerChoice.objects.filter(question__in=list(self.questions_by_key.values())),
            ("question_id", "order"),
            choice_rows,
            delete_stale=True,
        )
        # Rewritten texts or keys (another seed) invalidate the stored answers and results.
        self.bank_changed = bool(result.updated or choices.updated or choices.deleted)
        self.summary["questions"] = len(rows)
        self.summary["answer_choices"] = len(choice_rows)
        self.log(f"Questions: {len(rows)} in the bank ({result})")
        self.log(f"Answer choices: {len(choice_rows)} ({choices})")

    def exams(self) -> None:
        created, sections, rows = 0, 0, []
        for n, plan in enumerate(self.plan.exams):
            fields = {
                "description": plan.description,
                "duration": plan.duration,
                "pass_percentage": plan.pass_percentage,
                "max_attempts": plan.max_attempts,
                "rank_policy": plan.rank_policy,
                "status": Exam.Status.PUBLISHED,
                "opens_at": EXAMS_OPEN,
                "closes_at": EXAMS_CLOSE,
            }
            exam, was_created = Exam.objects.update_or_create(
                course=self.courses_by_slug[plan.course],
                title=plan.title,
                defaults=fields,
                create_defaults={
                    **fields,
                    "uuid": demo_uuid(f"exam/{plan.course}/{plan.title}"),
                    "created_at": BASE - timedelta(days=10 - n),
                },
            )
            created += was_created
            self.exams_by_title[exam.title] = exam
            kept = []
            order = 0  # unique within the exam, increasing across sections
            for section_order, section_plan in enumerate(plan.sections, start=1):
                section, _ = Section.objects.update_or_create(
                    exam=exam, title=section_plan.title, defaults={"order": section_order}
                )
                kept.append(section.pk)
                for placement in section_plan.placements:
                    order += 1
                    rows.append(
                        {
                            "exam_id": exam.pk,
                            "section_id": section.pk,
                            "question_id": self.questions_by_key[placement.question].pk,
                            "order": order,
                            "marks": placement.marks,
                            "negative_marks": placement.negative_marks,
                            "partial_marks": placement.partial_marks,
                            "is_bonus": placement.is_bonus,
                        }
                    )
            Section.objects.filter(exam=exam).exclude(pk__in=kept).delete()
            sections += len(kept)
            self.log(f"Exam: {plan.title} ({plan.course}): {len(kept)} sections, {order} questions")
        self._drop_attempts_that_no_longer_fit(rows)
        placements = sync_rows(
            ExamQuestion.objects.filter(exam__in=list(self.exams_by_title.values())),
            ("exam_id", "question_id"),
            rows,
            delete_stale=True,
        )
        exams = len(self.exams_by_title)
        self.summary |= {"exams": exams, "sections": sections, "exam_questions": len(rows)}
        self.log(f"Exams: {exams} published ({created} created); placements: {placements}")

    def _drop_attempts_that_no_longer_fit(self, rows: list[dict]) -> None:
        """Delete the attempts at the demo exams when their questions or marking change.

        Another seed places other questions (a placement with answers cannot be deleted) and
        rewrites keys, so the stored answers and results would be wrong: the demo owns its
        exams, and the attempts step then plays new ones.
        """
        marking = ("exam_id", "question_id", "marks", "negative_marks", "partial_marks", "is_bonus")
        exams = list(self.exams_by_title.values())
        stored = set(ExamQuestion.objects.filter(exam__in=exams).values_list(*marking))
        planned = {tuple(row[name] for name in marking) for row in rows}
        if self.bank_changed or stored != planned:
            deleted = delete_exam_attempts(exams)
            if deleted:
                self.log(f"Attempts: {deleted} removed (the exams' questions or marks changed)")

    def learners(self) -> None:
        plans = self.plan.learners
        known = set(
            User.objects.filter(username__startswith=LEARNER_PREFIX).values_list(
                "username", flat=True
            )
        )
        # One hash (salt included) shared by every learner, computed only when one is new:
        # PBKDF2 takes about 0.25 s, so hashing per learner would add over a minute.
        password = (
            make_password(LEARNER_PASSWORD) if any(p.username not in known for p in plans) else ""
        )
        rows = [
            {
                "username": p.username,
                "uuid": demo_uuid(f"user/{p.username}"),
                "password": password,
                "first_name": p.first_name,
                "last_name": p.last_name,
                "display_name": p.display_name,
                "email": p.email,
                "phone": p.phone,
                "date_joined": p.joined_at,
                "is_active": True,
            }
            for p in plans
        ]
        users = sync_rows(
            User.objects.filter(username__startswith=LEARNER_PREFIX),
            ("username",),
            rows,
            create_only=("uuid", "password"),
        )
        user_ids = dict(
            User.objects.filter(username__startswith=LEARNER_PREFIX).values_list("username", "pk")
        )
        # The demo login "learner" is in every course, active, for as long as the demo runs.
        planned = [
            ("learner", EnrollmentPlan(c.slug, Enrollment.Status.ACTIVE, BASE - timedelta(days=14)))
            for c in COURSES
        ]
        planned += [(p.username, e) for p in plans for e in p.enrollments]
        enrollment_rows = [
            {
                "user_id": user_ids[username],
                "course_id": self.courses_by_slug[e.course].pk,
                "status": e.status,
                "enrolled_at": e.enrolled_at,
                "due_at": e.due_at,
                "expires_at": e.expires_at,
            }
            for username, e in planned
        ]
        # Only the planned learners' enrollments in demo courses are the demo's to remove.
        enrollments = sync_rows(
            Enrollment.objects.filter(
                user_id__in=sorted({row["user_id"] for row in enrollment_rows}),
                course__in=list(self.courses_by_slug.values()),
            ),
            ("user_id", "course_id"),
            enrollment_rows,
            delete_stale=True,
        )
        self.summary["users"] += len(plans)
        self.summary["enrollments"] = len(enrollment_rows)
        self.log(f"Learners: {len(plans)} (learner001 …) ({users})")
        self.log(f"Enrollments: {len(enrollment_rows)} ({enrollments})")

    def attempts(self, sims: list[ExamSim]) -> None:
        names = ["learner"] + [p.username for p in self.plan.learners[:SERVICE_LEARNERS]]
        result = create_demo_attempts(
            seed=self.seed,
            count=self.demo_attempts,
            exams=sims,
            users=User.objects.filter(username__in=names),
            featured="learner",
            progress=self.progress,
        )
        if result.kept:
            self.log(f"Demo attempts: {result.kept} already there (kept)")
            return
        if not result.created:
            return
        states = ", ".join(f"{n} {state.lower()}" for state, n in result.by_state.items())
        self.log(
            f"Demo attempts: {result.created} through the services ({states}); "
            f"{result.evaluated} essays evaluated"
        )
        self.log(
            f"  {result.overdue} running attempts on timed exams are past their deadline: "
            "`manage.py finalize_overdue` completes them"
        )

    def bulk(self, sims: list[ExamSim]) -> None:
        learners = User.objects.filter(username__startswith=LEARNER_PREFIX).exclude(
            username="learner"
        )
        result = bulk_attempts(
            seed=self.seed,
            target=self.bulk_attempts,
            exams=sims,
            users=learners,
            progress=self.progress,
        )
        if not result.created:
            self.log(
                f"Bulk attempts: {result.existing} already there (target {self.bulk_attempts})"
            )
            return
        self.log(
            f"Bulk attempts: {result.created} written ({result.existing} were there), "
            f"{result.answers} answers, {result.choices} selected choices"
        )
        if result.short:
            self.log(f"  {result.short} more did not fit: every learner used their attempts")
