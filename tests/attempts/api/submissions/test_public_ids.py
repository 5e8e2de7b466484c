"""Public ids: a prefix and the base62 of the uuid (or primary key), one spelling each."""

import uuid

import pytest

from attempts.api.submissions import public_ids as ids


def test_base62_by_hand():
    # 3843 = 61 × 62 + 61 → "zz"; 3844 = 62² → "100".
    assert [ids.base62(n) for n in (0, 9, 10, 36, 61, 62, 3843, 3844)] == [
        "0",
        "9",
        "A",
        "a",
        "z",
        "10",
        "zz",
        "100",
    ]


@pytest.mark.parametrize(
    "value", [uuid.UUID(int=0), uuid.UUID(int=1), uuid.UUID(int=2**128 - 1), uuid.uuid4()]
)
def test_uuids_round_trip(value):
    public = ids.of_uuid(ids.ASSESSMENT, value)
    assert public.startswith("asmnt_")
    assert len(public) <= len("asmnt_") + 22
    assert ids.to_uuid(ids.ASSESSMENT, public) == value


def test_the_largest_uuid_is_22_digits():
    assert (
        ids.of_uuid(ids.SUBMISSION, uuid.UUID(int=2**128 - 1)) == "sub_" + "7n42DGM5Tflk9n8mt7Fhc7"
    )


@pytest.mark.parametrize(
    "value",
    [
        None,
        42,
        "",
        "asmnt_",
        "asmnt",
        "crs_1",  # another prefix
        "ASMNT_1",
        "asmnt_01",  # a leading zero: a second spelling of 1
        "asmnt_1-2",
        "asmnt_ 1",
        "asmnt_" + "z" * 23,  # too long
        "asmnt_7n42DGM5Tflk9n8mt7Fhc8",  # 2**128: out of range
        "asmnt_é",
    ],
)
def test_malformed_ids_decode_to_none(value):
    assert ids.to_uuid(ids.ASSESSMENT, value) is None


def test_primary_keys_round_trip_and_zero_is_none():
    assert ids.of_pk(ids.CHOICE, 12345) == "chc_3D7"
    assert ids.to_pk(ids.CHOICE, "chc_3D7") == 12345
    assert ids.to_pk(ids.CHOICE, "chc_0") is None
    assert ids.to_pk(ids.CHOICE, "chc_" + "z" * 12) is None  # past a 64-bit key
    assert ids.of_pk(ids.SUBJECT, None) is None
