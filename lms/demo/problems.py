"""Problem makers: questions computed from random numbers, asked as numeric or single choice.

Each maker draws its numbers from the generator it is given and returns a :class:`Problem`
(stem, answer, unit, worked explanation). They are code, not data: the topics in
``content/topics.json`` name the makers they use, and :data:`PROBLEM_MAKERS` resolves the names.
The few tables the makers draw from (alkanes, compounds, dated events) are data files too.
"""

import random
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from lms.demo.content import load

D = Decimal
ZERO = D("0")


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


def number_text(value: Decimal) -> str:
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
        f"s = (u + v) t / 2 = (0 + {v}) × {t} / 2 = {number_text(s)} m.",
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
        f"E = m v<sup>2</sup> / 2 = {m} × {v}<sup>2</sup> / 2 = {number_text(energy)} J.",
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
        f"P = 1 / f (in metres) = 100 / {focal} = {number_text(power)} D.",
    )


def _speed_in_medium(rng: random.Random) -> Problem:
    n = rng.choice((D("1.25"), D("1.5"), D("2"), D("2.4")))
    speed = D(3) / n
    return Problem(
        "Light travels at 3 × 10<sup>8</sup> m/s in vacuum. What is its speed in a medium of "
        f"refractive index {number_text(n)}, in units of 10<sup>8</sup> m/s?",
        speed,
        "× 10<sup>8</sup> m/s",
        f"v = c / n = 3 / {number_text(n)} = {number_text(speed)} × 10<sup>8</sup> m/s.",
    )


def _heating_water(rng: random.Random) -> Problem:
    mass, rise = rng.choice((D("0.5"), D("1"), D("2"), D("2.5"))), rng.randint(5, 40)
    heat = mass * D("4.2") * rise
    return Problem(
        f"How much heat is needed to raise the temperature of {number_text(mass)} kg of water by "
        f"{rise} K? The specific heat capacity of water is 4.2 kJ/(kg·K).",
        heat,
        "kJ",
        f"Q = m c ΔT = {number_text(mass)} × 4.2 × {rise} = {number_text(heat)} kJ.",
    )


def _kelvin(rng: random.Random) -> Problem:
    celsius = rng.randint(-40, 150)
    kelvin = celsius + D("273.15")
    return Problem(
        f"A thermometer reads {celsius} °C. What is this temperature in kelvin?",
        kelvin,
        "K",
        f"T = {celsius} + 273.15 = {number_text(kelvin)} K.",
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
        f"η = 1 − T<sub>c</sub> / T<sub>h</sub> = 1 − {cold} / {hot} ≈ {number_text(efficiency)} %.",
        tolerance=D("0.01"),
    )


def _gas_work(rng: random.Random) -> Problem:
    pressure, volume = 100 * rng.randint(1, 5), rng.choice((D("0.01"), D("0.02"), D("0.05")))
    work = pressure * volume
    return Problem(
        f"A gas expands at a constant pressure of {pressure} kPa, its volume growing by "
        f"{number_text(volume)} m<sup>3</sup>. How much work does it do?",
        work,
        "kJ",
        f"W = p ΔV = {pressure} kPa × {number_text(volume)} m<sup>3</sup> = {number_text(work)} kJ.",
    )


_CHEMISTRY = load("chemistry")
ALKANES = tuple(_CHEMISTRY["alkanes"])  # ALKANES[n - 1] has n carbon atoms
ALKENES = tuple(_CHEMISTRY["alkenes"])  # ALKENES[n - 2] has n carbon atoms


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
        f"12 × {n} / ({14 * n + 2}) × 100 ≈ {number_text(share)} %.",
        tolerance=D("0.01"),
    )


# (formula, molar mass in g/mol); the masses are strings in the file, so Decimal keeps them exact.
COMPOUNDS = tuple((c["formula"], D(c["molar_mass"])) for c in _CHEMISTRY["compounds"])


def _moles(rng: random.Random) -> Problem:
    (formula, molar), moles = rng.choice(COMPOUNDS), rng.choice((D("0.5"), D(1), D(2), D(3)))
    mass = molar * moles
    return Problem(
        f"How many moles are there in {number_text(mass)} g of {formula} "
        f"(molar mass {number_text(molar)} g/mol)?",
        moles,
        "mol",
        f"n = m / M = {number_text(mass)} / {number_text(molar)} = {number_text(moles)} mol.",
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
        f"c<sub>2</sub> = c<sub>1</sub> V<sub>1</sub> / V<sub>2</sub> = {number_text(final)} mol/L.",
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
        explanation=f"The ratio of the leading coefficients: {top} / {bottom} = {number_text(ratio)}.",
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
        explanation=f"[{k}x<sup>2</sup> / 2] from 0 to {a} = {number_text(value)}.",
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


# (what happened, year; negative for BCE) by period.
EVENTS = {
    period: tuple((row["event"], row["year"]) for row in rows)
    for period, rows in load("events").items()
}


def _lapse_rate(rng: random.Random) -> Problem:
    sea_level, height = rng.randint(15, 35), 1000 * rng.randint(1, 4)
    temperature = sea_level - D("6.5") * height / 1000
    return Problem(
        f"Air cools by about 6.5 °C per kilometre of altitude. If it is {sea_level} °C at sea "
        f"level, what is the temperature at {height} m?",
        temperature,
        "°C",
        f"{sea_level} − 6.5 × {height // 1000} = {number_text(temperature)} °C.",
    )


def _map_scale(rng: random.Random) -> Problem:
    scale, length = rng.choice((25_000, 50_000, 100_000)), rng.randint(2, 20)
    distance = D(length * scale) / 100_000
    return Problem(
        f"On a map with a scale of 1:{scale:,}, two towns are {length} cm apart. "
        "How far apart are they on the ground?",
        distance,
        "km",
        f"{length} cm × {scale:,} = {number_text(distance)} km.",
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
        explanation=f"{whole} × {percent} / 100 = {number_text(part)}.",
    )


def _average_speed(rng: random.Random) -> Problem:
    speed, hours = rng.randint(30, 90), rng.randint(2, 5)
    return Problem(
        f"A bus covers {speed * hours} km in {hours} hours. What is its average speed?",
        D(speed),
        "km/h",
        f"{speed * hours} / {hours} = {speed} km/h.",
    )


# The names the topics of content/topics.json use for their makers.
PROBLEM_MAKERS: dict[str, ProblemMaker] = {
    # Mechanics, optics, thermodynamics
    "force": _force,
    "distance_from_rest": _distance_from_rest,
    "free_fall": _free_fall,
    "kinetic_energy": _kinetic_energy,
    "mirror_focal_length": _mirror_focal_length,
    "lens_power": _lens_power,
    "speed_in_medium": _speed_in_medium,
    "heating_water": _heating_water,
    "kelvin": _kelvin,
    "carnot": _carnot,
    "gas_work": _gas_work,
    # Chemistry
    "alkane_molar_mass": _alkane_molar_mass,
    "alkene_hydrogens": _alkene_hydrogens,
    "carbon_share": _carbon_share,
    "moles": _moles,
    "ph": _ph,
    "dilution": _dilution,
    # Mathematics
    "determinant": _determinant,
    "dot_product": _dot_product,
    "vector_length": _vector_length,
    "evaluate_polynomial": _evaluate_polynomial,
    "sum_of_roots": _sum_of_roots,
    "remainder": _remainder,
    "limit_difference_quotient": _limit_difference_quotient,
    "limit_at_infinity": _limit_at_infinity,
    "limit_sine": _limit_sine,
    "integral_linear": _integral_linear,
    "integral_square": _integral_square,
    "integral_reciprocal": _integral_reciprocal,
    # History and geography
    "ancient_event_year": _event_year(EVENTS["ancient"], bce=True),
    "modern_event_year": _event_year(EVENTS["modern"], bce=False),
    "lapse_rate": _lapse_rate,
    "map_scale": _map_scale,
    "population_density": _population_density,
    "population_growth": _population_growth,
    # Aptitude (questions without subject)
    "next_in_series": _next_in_series,
    "percentage_of": _percentage_of,
    "average_speed": _average_speed,
}
