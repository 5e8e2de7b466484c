"""Public ids of the contract: a prefix and the base62 of the object's uuid (``asmnt_``,
``crs_``, ``qstn_``, ``sub_``, ``usr_``), reversible, so that a lookup is one query on the
uuid's unique index. Sections, choices and subjects have no uuid: theirs encode the
primary key (``sec_``, ``chc_``, ``subj_``).

A malformed id (wrong prefix, a character outside 0-9A-Za-z, a leading zero, a value out
of range) decodes to None: the views answer 404 (in a path) or 400 (in a body or filter).
"""

import re
import uuid

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
INDEX = {char: value for value, char in enumerate(ALPHABET)}
DIGITS = re.compile(r"[0-9A-Za-z]{1,22}")

ASSESSMENT = "asmnt_"
COURSE = "crs_"
QUESTION = "qstn_"
SUBMISSION = "sub_"
USER = "usr_"
SECTION = "sec_"
CHOICE = "chc_"
SUBJECT = "subj_"

UUID_LIMIT = 1 << 128
# Primary keys are 64-bit signed integers on every database we run.
PK_LIMIT = 1 << 63


def base62(number: int) -> str:
    """>>> base62(0), base62(61), base62(62)
    ('0', 'z', '10')"""
    if number == 0:
        return "0"
    digits = []
    while number:
        number, rest = divmod(number, 62)
        digits.append(ALPHABET[rest])
    return "".join(reversed(digits))


def _number(value: object, prefix: str, limit: int) -> int | None:
    if not isinstance(value, str) or not value.startswith(prefix):
        return None
    digits = value[len(prefix) :]
    if not DIGITS.fullmatch(digits) or (len(digits) > 1 and digits[0] == "0"):
        return None  # one spelling per id: no leading zero
    number = 0
    for char in digits:
        number = number * 62 + INDEX[char]
    return number if number < limit else None


def of_uuid(prefix: str, value: uuid.UUID) -> str:
    return prefix + base62(value.int)


def to_uuid(prefix: str, value: object) -> uuid.UUID | None:
    number = _number(value, prefix, UUID_LIMIT)
    return None if number is None else uuid.UUID(int=number)


def of_pk(prefix: str, pk: int | None) -> str | None:
    return None if pk is None else prefix + base62(pk)


def to_pk(prefix: str, value: object) -> int | None:
    number = _number(value, prefix, PK_LIMIT)
    return number if number else None  # 0 is no primary key


def pattern(prefix: str) -> str:
    """The regular expression of an id, for the OpenAPI schema."""
    return f"^{prefix}[0-9A-Za-z]{{1,22}}$"
