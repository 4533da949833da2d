"""``langgraph dev`` serves all three graphs offline; each runs once through the SDK."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.devserver import langgraph_dev
from conversation.paths import repo_root

pytestmark = pytest.mark.timeout(420)

GRAPHS = ("support", "bookstore", "research")


def test_langgraph_json_lists_every_graph() -> None:
    config = json.loads((repo_root() / "langgraph.json").read_text())
    assert set(GRAPHS) <= set(config["graphs"])
    for graph in GRAPHS:
        module = config["graphs"][graph].split(":")[0]
        assert (repo_root() / module).is_file()


def test_langgraph_dev_serves_and_runs_all_three_graphs(tmp_path: Path) -> None:
    from langgraph_sdk import get_sync_client

    env = {"SWITCHBOARD_DATA_DIR": str(tmp_path / "data"), "SWITCHBOARD_MODEL": "scripted"}
    with langgraph_dev(extra_env=env) as url:
        client = get_sync_client(url=url)
        served = {a["graph_id"] for a in client.assistants.search(limit=50)}
        assert set(GRAPHS) <= served

        support = client.runs.wait(
            client.threads.create()["thread_id"],
            "support",
            input={"messages": [{"role": "user", "content": "Is any of my bills overdue?"}]},
            context={"customer_id": "C1001", "model": "scripted"},
        )
        assert support["intent"] == "billing"

        thread = client.threads.create()["thread_id"]
        for text in ("Hi, I'm Alex.", "Do you have The Salt Orchard?"):
            client.runs.wait(
                thread,
                "bookstore",
                input={"messages": [{"role": "user", "content": text}]},
                context={"model": "scripted"},
            )
        price = client.runs.wait(
            thread,
            "bookstore",
            input={"messages": [{"role": "user", "content": "How much is it?"}]},
            context={"model": "scripted"},
        )
        assert price["facts"]["name"]["value"] == "Alex"
        assert price["facts"]["last_book"]["value"].startswith("BK0001:")
        assert "$" in price["messages"][-1]["content"]

        research = client.runs.wait(
            client.threads.create()["thread_id"],
            "research",
            input={
                "question": "Compare Northwind Mobile and Contoso Telecom on AI strategy",
                "deadline_s": 120,
            },
            context={"model": "scripted"},
        )
        assert research["report"].startswith("# Research report")
        assert "[northwind-ai-strategy]" in research["report"]
        assert len([t for t in research["trace"] if t["node"] == "researcher"]) >= 2
