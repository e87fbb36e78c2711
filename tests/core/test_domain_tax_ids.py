"""VKN / TCKN validation: every valid number accepted, each kind of invalid one rejected with
a message that names the field and the broken rule, never the value. GİB's placeholders
(11111111111 for a person without a TCKN, 2222222222 for a foreign buyer) are accepted."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from kervan.domain import FOREIGN_PLACEHOLDER, PERSON_PLACEHOLDER, Party, PartyKind, check_tax_id
from pydantic import ValidationError

PLACEHOLDERS = {PERSON_PLACEHOLDER, FOREIGN_PLACEHOLDER}


def vkn_check_digit(first9: str) -> str:
    """GİB's VKN check digit, written out independently of python-stdnum."""
    total = 0
    for position, char in enumerate(first9):
        shifted = (int(char) + 9 - position) % 10
        if shifted:
            total += (shifted * 2 ** (9 - position)) % 9 or 9
    return str((10 - total % 10) % 10)


def tckn_check_digits(first9: str) -> str:
    d = [int(c) for c in first9]
    tenth = ((d[0] + d[2] + d[4] + d[6] + d[8]) * 7 - (d[1] + d[3] + d[5] + d[7])) % 10
    eleventh = (sum(d) + tenth) % 10
    return f"{tenth}{eleventh}"


digits9 = st.text(alphabet="0123456789", min_size=9, max_size=9)
valid_vkn = digits9.map(lambda s: s + vkn_check_digit(s))
valid_tckn = (
    st.text(alphabet="0123456789", min_size=8, max_size=8)
    .flatmap(lambda rest: st.sampled_from("123456789").map(lambda first: first + rest))
    .map(lambda s: s + tckn_check_digits(s))
)


def party(tax_id: str) -> Party:
    return Party(kind=PartyKind.COMPANY, tax_id=tax_id, company_name="Örnek A.Ş.")


def rejection(tax_id: str) -> str:
    """The error message Party gives for ``tax_id``; fails the test if it is accepted."""
    with pytest.raises(ValidationError) as caught:
        party(tax_id)
    errors = caught.value.errors()
    assert [e["loc"] for e in errors] == [("tax_id",)]
    text = str(caught.value)
    assert "tax_id" in text
    assert "input_value" not in text
    if len(tax_id.strip()) >= 6:
        assert tax_id.strip() not in text  # the value is never echoed
    return errors[0]["msg"]


@given(valid_vkn)
def test_valid_vkn_is_accepted(vkn):
    assert check_tax_id(vkn) == vkn
    assert party(vkn).tax_id == vkn and party(vkn).scheme == "VKN"


@given(valid_tckn)
def test_valid_tckn_is_accepted(tckn):
    assert check_tax_id(tckn) == tckn
    assert party(tckn).scheme == "TCKN"


@given(st.one_of(valid_vkn, valid_tckn), st.sampled_from([" ", "  ", "\t"]))
def test_surrounding_whitespace_is_ignored(tax_id, pad):
    assert party(f"{pad}{tax_id}{pad}").tax_id == tax_id


def test_gib_placeholders_are_accepted_though_their_checksums_fail():
    person = Party(
        kind=PartyKind.PERSON, tax_id=PERSON_PLACEHOLDER, first_name="Ad", last_name="Soyad"
    )
    assert person.is_placeholder and person.scheme == "TCKN"
    foreign = party(FOREIGN_PLACEHOLDER)
    assert foreign.is_placeholder and foreign.scheme == "VKN"


@given(valid_vkn, st.integers(1, 9))
def test_vkn_with_a_wrong_check_digit_is_rejected(vkn, delta):
    wrong = vkn[:-1] + str((int(vkn[-1]) + delta) % 10)
    assume(wrong not in PLACEHOLDERS)
    assert rejection(wrong) == "Value error, is not a valid VKN (checksum failed)"


@given(valid_tckn, st.sampled_from([-1, -2]), st.integers(1, 9))
def test_tckn_with_a_wrong_check_digit_is_rejected(tckn, position, delta):
    chars = list(tckn)
    chars[position] = str((int(chars[position]) + delta) % 10)
    wrong = "".join(chars)
    assume(wrong not in PLACEHOLDERS)
    assert rejection(wrong) == "Value error, is not a valid TCKN (checksum failed)"


@given(st.text(alphabet="0123456789", min_size=10, max_size=10))
def test_eleven_digits_starting_with_zero_are_not_a_tckn(rest):
    assert rejection("0" + rest) == "Value error, is not a valid TCKN (must not start with 0)"


@given(
    st.text(alphabet="0123456789", min_size=1, max_size=20).filter(lambda s: len(s) not in (10, 11))
)
def test_wrong_length_is_rejected(digits):
    assert rejection(digits) == "Value error, must be 10 digits (VKN) or 11 digits (TCKN)"


@given(
    st.one_of(valid_vkn, valid_tckn),
    st.integers(0, 9),
    st.sampled_from(list("aZ-./#ı")),
)
def test_a_non_digit_character_is_rejected(tax_id, index, char):
    wrong = tax_id[:index] + char + tax_id[index + 1 :]
    assert rejection(wrong) == "Value error, must contain only digits (VKN: 10, TCKN: 11)"


def test_empty_tax_id_is_rejected():
    assert rejection("") == "Value error, must contain only digits (VKN: 10, TCKN: 11)"


@given(st.text(alphabet="٠١٢٣٤٥٦٧٨٩", min_size=10, max_size=11))
def test_non_latin_digits_are_rejected(tax_id):
    rejection(tax_id)
