"""Output guard: claims are extracted, checked against the turn's sources, retried, replaced."""

from __future__ import annotations

import pytest

from agents.guards.claims import Claim, reply_claims
from agents.guards.output_guard import check_reply, review_reply
from agents.guards.replies import UNGROUNDED_FALLBACK

CATALOG = {
    "basic_5": "Basic 5GB",
    "everyday_15": "Everyday 15GB",
    "plus_40": "Plus 40GB",
    "unlimited": "Unlimited",
    "unlimited_max": "Unlimited Max",
}
BILLS = (
    "Bills on this account (today is 2026-11-20), newest first:\n"
    "- B20003, October 2026: $115.80, issued, due 2026-11-25\n"
    "- B20002, September 2026: $109.20, OVERDUE (was due 2026-10-25, 26 days ago)"
)
LINE = "L1001-1 (+12025550100), active, Everyday 15GB"


def kinds(text: str) -> list[str]:
    return [claim.kind for claim in reply_claims(text, CATALOG)]


def test_claims_of_every_kind_are_found() -> None:
    text = (
        "Your bill of $115.80 is due November 25, 2026 (2026-11-25, 11/25/2026). "
        "You are on Everyday 15GB; call (202) 555-0100."
    )
    assert sorted(kinds(text)) == ["date", "date", "date", "money", "phone", "plan"]


@pytest.mark.parametrize(
    "reply",
    [
        "Your October bill B20003 is $115.80, due 2026-11-25.",
        "You owe $109.20 since Oct 25; your next bill is due on 25 November 2026.",
        "Your line +1 (202) 555-0100 is on the Everyday 15GB plan.",
        "B20002 is 109.20 dollars and it is overdue.",
        "You have unlimited calls and texts. Anything else?",
        "Hello! How can I help you today?",
    ],
)
def test_grounded_replies_pass(reply: str) -> None:
    verdict = check_reply(reply, [BILLS, LINE], CATALOG)
    assert verdict.ok, verdict.labels()


@pytest.mark.parametrize(
    ("reply", "label"),
    [
        ("Your bill is $12.34.", "money:$12.34"),
        ("The upgrade comes at no extra cost.", "money:at no extra cost"),
        ("Your bill is due 2026-12-31.", "date"),
        ("It is due on December 1st.", "date"),
        ("Call us on 202-555-0199.", "phone"),
        ("Unlimited Max would suit you.", "plan:Unlimited Max"),
        ("Try our Gold Saver plan.", "plan:Gold Saver"),
    ],
)
def test_ungrounded_claims_are_caught(reply: str, label: str) -> None:
    verdict = check_reply(reply, [BILLS, LINE], CATALOG)
    assert not verdict.ok
    assert label in verdict.labels()


def test_json_cents_fields_ground_dollar_amounts() -> None:
    assert check_reply("That is $55.00 a month.", ['{"monthly_price_cents": 5500}'], CATALOG).ok


def test_fact_sheet_values_ground_a_phone_number() -> None:
    assert check_reply("I have +12025550100 on file.", ["phone: +1 202 555 0100"], CATALOG).ok


def test_labels_never_show_dates_or_phone_digits() -> None:
    verdict = check_reply("Born 1988-03-14, phone 202-555-0199.", [], CATALOG)
    assert verdict.labels() == ["date", "phone"]


def test_grounded_reply_is_kept_without_a_retry() -> None:
    calls: list[list[Claim]] = []

    def regenerate(claims: list[Claim]) -> str:
        calls.append(claims)
        return "unused"

    review = review_reply("Your bill is $115.80.", [BILLS], CATALOG, regenerate)
    assert review.outcome == "ok"
    assert review.reply == "Your bill is $115.80."
    assert calls == []


def test_ungrounded_reply_is_regenerated_once() -> None:
    seen: list[list[str]] = []

    def regenerate(claims: list[Claim]) -> str:
        seen.append([claim.text for claim in claims])
        return "Your overdue bill B20002 is $109.20."

    review = review_reply("Your overdue bill is $99.00.", [BILLS], CATALOG, regenerate)
    assert review.outcome == "regenerated"
    assert review.reply == "Your overdue bill B20002 is $109.20."
    assert seen == [["$99.00"]]
    assert review.ledger_guard() == {"output": "regenerated", "output_ungrounded": "money:$99.00"}


def test_a_second_ungrounded_reply_falls_back() -> None:
    review = review_reply("It costs $10.", [BILLS], CATALOG, lambda _c: "No, it costs $11.")
    assert review.outcome == "fallback"
    assert review.reply == UNGROUNDED_FALLBACK
    assert review.second is not None and not review.second.ok


@pytest.mark.parametrize("retry", [None, "", "   "])
def test_no_retry_text_falls_back(retry: str | None) -> None:
    review = review_reply("It costs $10.", [], CATALOG, lambda _c: retry)
    assert review.reply == UNGROUNDED_FALLBACK


def test_a_failing_retry_falls_back() -> None:
    def broken(_claims: list[Claim]) -> str:
        raise RuntimeError("model down")

    assert review_reply("It costs $10.", [], CATALOG, broken).outcome == "fallback"


def test_fallback_itself_is_grounded() -> None:
    assert check_reply(UNGROUNDED_FALLBACK, [], CATALOG).ok
