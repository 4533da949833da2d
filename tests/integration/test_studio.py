"""``langgraph dev`` serves the support graph offline: two turns and a confirmation via the SDK."""

from __future__ import annotations

import pytest

from app.devserver import langgraph_dev

pytestmark = pytest.mark.timeout(300)

CONTEXT = {"customer_id": "C1001", "model": "scripted"}


def test_langgraph_dev_runs_turns_and_an_interrupt_through_the_sdk() -> None:
    from langgraph_sdk import get_sync_client

    with langgraph_dev() as url:
        client = get_sync_client(url=url)
        thread = client.threads.create()
        tid = thread["thread_id"]
        first = client.runs.wait(
            tid,
            "support",
            input={"messages": [{"role": "user", "content": "Is any of my bills overdue?"}]},
            context=CONTEXT,
        )
        assert first["intent"] == "billing"
        assert any("B20002" in str(m.get("content")) for m in first["messages"])

        client.runs.wait(
            tid,
            "support",
            input={"messages": [{"role": "user", "content": "switch me to the Unlimited plan"}]},
            context=CONTEXT,
        )
        state = client.threads.get_state(tid)
        assert state["values"]["turn"] == 2
        interrupts = [i for task in state["tasks"] for i in task.get("interrupts", [])]
        assert interrupts and interrupts[0]["value"]["kind"] == "confirm"

        client.runs.wait(tid, "support", command={"resume": "no"}, context=CONTEXT)
        final = client.threads.get_state(tid)
        assert not [i for task in final["tasks"] for i in task.get("interrupts", [])]
        tool_texts = [
            str(m.get("content")) for m in final["values"]["messages"] if m.get("type") == "tool"
        ]
        assert any("not" in text.lower() for text in tool_texts[-1:])
