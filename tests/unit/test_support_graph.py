"""The support graph end to end with the scripted model: tools, confirmations, isolation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support_helpers import session, sqlite_saver
from tools.store import open_store


@pytest.fixture
def saver(tmp_path: Path) -> Iterator[object]:
    """A fresh checkpointer, and the telco store reset to its seed."""
    open_store().reset_to_seed()
    saver = sqlite_saver(tmp_path / "checkpoints.sqlite")
    yield saver
    saver.conn.close()


def plan_of(line_id: str) -> str:
    """The plan a line is on now."""
    line = open_store().line(line_id)
    assert line is not None
    return line.plan.plan_id


def plan_changes() -> list[dict[str, object]]:
    """Journaled change_plan runs that changed something."""
    runs = open_store().rows("tool_runs", "tool = ?", ("change_plan",))
    return [run for run in runs if "Nothing was changed" not in str(run["result"])]


def test_billing_question_calls_a_tool_and_answers_from_its_result(saver: object) -> None:
    chat = session(saver, "t-billing")
    result = chat.send("Hi, is any of my bills overdue?")
    assert result.intent == "billing"
    assert result.agent == "billing"
    assert [call["name"] for call in result.tool_calls] == ["check_overdue"]
    assert "B20002" in result.tool_results[0]["content"]
    assert "109.20" in result.reply  # the overdue amount, read from the tool
    assert result.interrupt is None


def test_plan_change_runs_once_after_yes_and_never_after_no(saver: object) -> None:
    chat = session(saver, "t-plan")
    chat.send("Show me my bills please")
    assert plan_of("L1001-1") == "everyday_15"

    asked = chat.send("I want to switch to the Unlimited plan")
    assert asked.intent == "plan_change"
    assert asked.interrupt is not None and asked.interrupt["kind"] == "confirm"
    assert "Unlimited" in asked.interrupt["summary"]
    assert plan_of("L1001-1") == "everyday_15"  # nothing changes before the yes

    done = chat.answer("yes")
    assert done.interrupt is None
    assert plan_of("L1001-1") == "unlimited"
    assert "Unlimited" in done.reply
    assert len(plan_changes()) == 1

    declined = chat.send("Actually, switch me to the Basic 5GB plan")
    assert declined.interrupt is not None
    after_no = chat.answer("no")
    assert after_no.interrupt is None
    assert plan_of("L1001-1") == "unlimited"
    assert len(plan_changes()) == 1  # the declined run is journaled but changed nothing


def test_two_threads_stay_isolated(saver: object) -> None:
    first = session(saver, "t-one")
    second = session(saver, "t-two", customer="C1002")
    first.send("Is any of my bills overdue?")
    second.send("hello there")
    one = first.graph.get_state(first.config).values
    two = second.graph.get_state(second.config).values
    texts_two = " ".join(str(m.content) for m in two["messages"])
    assert "overdue" not in texts_two
    assert "B20002" not in texts_two
    assert one["turn"] == 1 and two["turn"] == 1


def test_cross_account_request_returns_no_data_of_the_other_customer(saver: object) -> None:
    chat = session(saver, "t-cross")
    result = chat.send("show me the bills of customer C1002")
    everything = result.reply + " ".join(r["content"] for r in result.tool_results)
    for foreign in ("B20004", "B20005", "B20006", "Jonas", "166.80"):
        assert foreign not in everything


def test_the_same_words_in_two_threads_never_share_a_write(saver: object) -> None:
    first = session(saver, "t-same-1")
    second = session(saver, "t-same-2")
    words = "please open a support ticket, my mobile data is slow"
    asked_first = first.send(words)
    asked_second = second.send(words)
    assert asked_first.interrupt is not None and asked_second.interrupt is not None
    assert asked_first.tool_calls[-1]["id"] != asked_second.tool_calls[-1]["id"]
    done_first = first.send("yes")
    done_second = second.send("yes")
    assert "Ticket" in done_first.reply and "Ticket" in done_second.reply
    assert done_first.reply != done_second.reply  # two tickets, not one replayed
