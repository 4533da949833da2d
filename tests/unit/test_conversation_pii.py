"""PII masking: cards (Luhn), dates of birth in context, emails, long numbers."""

from __future__ import annotations

import pytest

from conversation.pii import luhn_valid, mask


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("card 4242 4242 4242 4242 exp 12/27", "card **** 4242 exp 12/27"),
        ("card 4242-4242-4242-4242", "card **** 4242"),
        ("pay with 4111111111111111 now", "pay with **** 1111 now"),
        ("amex 378282246310005", "amex **** 0005"),
    ],
)
def test_cards_keep_last_four(text: str, expected: str) -> None:
    assert mask(text) == expected


def test_luhn_check() -> None:
    assert luhn_valid("4242424242424242")
    assert not luhn_valid("4242424242424241")
    assert not luhn_valid("42a2")


def test_invalid_luhn_with_separators_is_not_a_card() -> None:
    assert mask("ref 1234-5678-9012-3456") == "ref 1234-5678-9012-3456"


@pytest.mark.parametrize(
    "text",
    [
        "my dob is 12/03/1985",
        "Date of birth: 3rd of March 1985",
        "I was born on March 3, 1985",
        "birthday 1985-03-12",
    ],
)
def test_labelled_dates_of_birth_are_masked(text: str) -> None:
    masked = mask(text)
    assert "[date of birth]" in masked
    assert "1985" not in masked


def test_other_dates_stay() -> None:
    assert mask("your bill is due 2024-05-01") == "your bill is due 2024-05-01"


def test_emails_are_masked() -> None:
    assert mask("mail a.b+x@ex.co.uk today") == "mail [email] today"


def test_account_numbers_keep_last_four() -> None:
    assert mask("account number: 12345678") == "account number: ****5678"
    assert mask("ref 987654321012") == "ref ********1012"
    assert mask("ssn 123-45-6789") == "ssn ***-**-6789"


def test_short_numbers_and_phone_formatting_stay() -> None:
    assert mask("call 555-0199 about order 1234567") == "call 555-0199 about order 1234567"


def test_a_date_after_the_word_account_is_not_taken_for_an_account_number() -> None:
    text = "Bills on this account (today is 2026-11-20), newest first"
    assert mask(text) == text
    assert mask("account 1234 5678 99").endswith("7899") and "1234" not in mask("account 12345678")
