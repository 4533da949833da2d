"""Problem reports in everyday words reach the fact sheet's issue; device names stay names."""

from __future__ import annotations

import pytest

from agents.slots import support_extractor


def _facts(text: str) -> dict[str, str]:
    return {slot: fact["value"] for slot, fact in support_extractor().apply({}, text, 1).items()}


@pytest.mark.parametrize(
    ("text", "issue"),
    [
        ("the internet on my iphone just stopped working completely", "no data"),
        ("mobile data not working at all", "no data"),
        ("no internet on my pixel 7", "no data"),
        ("4G is down since this morning", "no data"),
        ("zero bars at my house since monday", "no service"),
        ("I have no signal at work", "no service"),
        ("pics wont send from my phone", "MMS"),
        ("picture messages fail on my galaxy s21", "MMS"),
        ("Mobile data has been really slow on my phone for days.", "slow data"),
        ("videos keep buffering and everything is laggy", "slow data"),
        ("apps take ages to load over mobile", "slow data"),
        ("the web is crawling on my phone", "slow data"),
        ("I can't receive photos from my sister", "MMS"),
        ("images by text just fail", "MMS"),
        ("picture messages fail on my galaxy s21 since monday", "MMS"),
    ],
)
def test_a_problem_report_names_its_issue(text: str, issue: str) -> None:
    assert _facts(text).get("issue") == issue


@pytest.mark.parametrize(
    ("text", "device"),
    [
        ("the internet on my iphone just stopped working", "iphone"),
        ("no internet on my pixel 7 pro today", "pixel 7 pro"),
        ("picture messages fail on my galaxy s21", "galaxy s21"),
    ],
)
def test_a_device_name_takes_only_model_words(text: str, device: str) -> None:
    assert _facts(text).get("device") == device


def test_a_data_top_up_request_reports_no_problem() -> None:
    assert "issue" not in _facts("I want to top up 2 GB of data")
