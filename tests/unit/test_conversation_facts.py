"""Fact sheet: set, correct, render, and the generic extractors."""

from __future__ import annotations

from conversation.facts import (
    FactExtractor,
    clear_fact,
    correct_fact,
    generic_patterns,
    is_correction,
    merge_facts,
    render_facts,
    set_fact,
)


def test_set_fact_records_turn_and_provenance() -> None:
    update = set_fact({}, "name", "Ana", 2)
    assert update == {"name": {"value": "Ana", "turn": 2, "verified": False, "source": "user"}}


def test_unchanged_value_is_no_update() -> None:
    sheet = merge_facts({}, set_fact({}, "name", "Ana", 2))
    assert set_fact(sheet, "name", "Ana", 5) == {}


def test_correction_replaces_and_is_recorded() -> None:
    sheet = merge_facts({}, set_fact({}, "phone", "5550199", 3))
    sheet = merge_facts(sheet, correct_fact(sheet, "phone", "5550142", 7))
    fact = sheet["phone"]
    assert fact["value"] == "5550142"
    assert fact["turn"] == 7
    assert fact["corrected_from"] == "5550199"
    assert fact["correction"] is True


def test_unverified_value_does_not_overwrite_verified_one_unless_corrected() -> None:
    sheet = merge_facts({}, set_fact({}, "id", "C1", 1, verified=True, source="tool"))
    assert set_fact(sheet, "id", "C2", 2) == {}
    assert correct_fact(sheet, "id", "C2", 2)["id"]["value"] == "C2"


def test_clear_fact_removes_the_slot() -> None:
    sheet = merge_facts({}, set_fact({}, "name", "Ana", 2))
    assert "name" not in merge_facts(sheet, clear_fact("name"))


def test_render_shows_turn_verified_flag_and_priority_order() -> None:
    sheet = merge_facts({}, set_fact({}, "zeta", "z", 1))
    sheet = merge_facts(sheet, set_fact(sheet, "name", "Ana", 2, verified=True, source="tool"))
    lines = render_facts(sheet, priority=["name"]).splitlines()
    assert lines[1] == "- name: Ana (turn 2, verified)"
    assert lines[2] == "- zeta: z (turn 1, unverified)"
    assert render_facts({}) == ""


def test_render_marks_a_correction_but_never_shows_the_old_value() -> None:
    sheet = merge_facts({}, set_fact({}, "phone", "5550148", 3))
    sheet = merge_facts(sheet, correct_fact(sheet, "phone", "5550172", 7))
    text = render_facts(sheet)
    assert "- phone: 5550172 (turn 7, unverified, corrected by the user)" in text
    assert "5550148" not in text


def test_correction_cues() -> None:
    assert is_correction("Sorry, my number is actually 555 0142")
    assert is_correction("I meant Tuesday")
    assert is_correction("correction: the email is x@y.z")
    assert not is_correction("my number is 555 0142")


def test_generic_extractors_find_phone_email_and_name() -> None:
    extractor = FactExtractor(generic_patterns())
    update = extractor.apply(
        {}, "Hi, my name is anna smith, reach me at Ana@Example.com or 555-0199", 1
    )
    assert update["name"]["value"] == "Anna Smith"
    assert update["email"]["value"] == "ana@example.com"
    assert update["phone"]["value"] == "5550199"


def test_a_new_name_given_with_instead_replaces_the_old_one() -> None:
    extractor = FactExtractor(generic_patterns())
    facts = merge_facts({}, extractor.apply({}, "my name is Samantha", 1))
    update = extractor.apply(facts, "Call me Sam instead", 2)
    assert update["name"]["value"] == "Sam"


def test_dates_and_amounts_are_not_phone_numbers() -> None:
    extractor = FactExtractor(generic_patterns())
    assert extractor.apply({}, "I paid 42.50 on 2024-03-01, order 12345678901234", 1) == {}


def test_extracted_correction_replaces_the_old_value() -> None:
    extractor = FactExtractor(generic_patterns())
    sheet = merge_facts({}, extractor.apply({}, "my number is 555-0199", 3))
    update = extractor.apply(sheet, "sorry, my number is actually 555 0142", 7)
    assert update["phone"]["value"] == "5550142"
    assert update["phone"]["corrected_from"] == "5550199"
    assert update["phone"]["correction"] is True


def test_bare_correction_applies_to_the_latest_user_slot() -> None:
    extractor = FactExtractor(generic_patterns())
    sheet = merge_facts({}, extractor.apply({}, "my name is Anna", 1))
    update = extractor.apply(sheet, "sorry, I meant Ana", 2)
    assert update["name"]["value"] == "Ana"
    assert update["name"]["correction"] is True


def test_bare_correction_needs_a_value_of_the_same_shape() -> None:
    extractor = FactExtractor(generic_patterns())
    sheet = merge_facts({}, extractor.apply({}, "my name is Anna", 1))
    assert extractor.apply(sheet, "sorry, it's pretty cool actually", 2) == {}
    assert extractor.apply(sheet, "I meant 42", 2) == {}
    sheet = merge_facts(sheet, extractor.apply(sheet, "my number is 555-0148", 3))
    assert extractor.apply(sheet, "sorry, I meant 5550172", 4)["phone"]["value"] == "5550172"


def test_domain_supplies_its_own_slot_patterns() -> None:
    import re

    from conversation.facts import SlotPattern

    pattern = SlotPattern("order", re.compile(r"order (?P<value>[A-Z]\d{3})"))
    assert (
        FactExtractor([pattern]).apply({}, "about order B123 please", 4)["order"]["value"] == "B123"
    )
