"""Identity details in free text: birth dates in each written form, names, phones, the rest."""

from __future__ import annotations

from datetime import date

import pytest

from conversation.identity import birth_dates, full_name, identity_details, without_identity

MARCH_14 = (date(1988, 3, 14),)


@pytest.mark.parametrize(
    "text",
    [
        "born 1988-03-14",
        "born 14 March 1988",
        "born 14th of march, 1988",
        "born March 14, 1988",
        "dob mar 14 1988",
        "14/03/1988",
        "14.03.1988",
        "03/14/1988",
    ],
)
def test_each_written_form_of_one_date_reads_as_that_date(text: str) -> None:
    assert birth_dates(text) == MARCH_14


def test_a_slash_date_whose_day_and_month_can_swap_keeps_both_readings() -> None:
    assert birth_dates("04/03/1988") == (date(1988, 3, 4), date(1988, 4, 3))


def test_an_impossible_date_is_no_date() -> None:
    assert birth_dates("31/02/1988") == ()
    assert birth_dates("call me on the 14th") == ()


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("I'm maya patel, born 14 March 1988", "Maya Patel"),
        ("my name is Jonas Berg and I was born 1980-01-01", "Jonas Berg"),
        ("Maya Patel, 14/03/1988", "Maya Patel"),
        ("Maya Patel 14/03/1988", "Maya Patel"),
        ("Maya Patel born 14 March 1988", "Maya Patel"),
    ],
)
def test_a_full_name_is_found_after_a_cue_or_at_the_start(text: str, name: str) -> None:
    assert full_name(text) == name


def test_a_single_word_or_a_capitalized_request_is_no_full_name() -> None:
    assert full_name("I'm Maya") is None
    assert full_name("Show Me my bills") is None


@pytest.mark.parametrize(
    "text",
    ["+12025550100", "+1 202 555 0100", "+1 (202) 555-0100", "202-555-0100", "(202) 555-0100"],
)
def test_a_phone_number_in_common_forms_is_found(text: str) -> None:
    details = identity_details(f"my number is {text}")
    assert details.phone == text and details.usable


def test_a_date_is_not_taken_for_a_phone_number() -> None:
    details = identity_details("Maya Patel, 14/03/1988")
    assert details.phone is None
    assert details.usable


def test_a_name_without_a_date_is_not_enough_to_identify() -> None:
    assert not identity_details("I'm Priya Raman, pay my bill").usable


def test_what_is_left_without_the_identity_says_what_the_person_wants() -> None:
    assert without_identity("Maya Patel, 14/03/1988 - show my bills") == "show my bills"
    assert without_identity("My phone number is +12025550100") == ""
    left = without_identity("I'm Maya Patel, born 14 March 1988, why is my bill so high?")
    assert "why is my bill so high" in left and "1988" not in left and "Patel" not in left
