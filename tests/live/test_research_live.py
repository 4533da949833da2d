"""The research assistant with the embedded local model completes a two-company question."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from agents.context import Context
from tools.research_corpus import load_corpus

pytestmark = [pytest.mark.live, pytest.mark.timeout(3600)]

QUESTION = "Compare the AI strategy of Northwind Mobile and Contoso Telecom"


def local_model_or_skip() -> None:
    """Skip with the reason when the embedded model (llm.factory, ``local``) is not ready."""
    try:
        from llm.errors import ModelConfigError
        from llm.factory import make_model
    except ImportError as error:
        pytest.skip(f"llm.factory is not ready yet ({error}); the live test needs the local model")
    try:
        make_model("local")
    except ModelConfigError as error:
        pytest.skip(f"the embedded local model is not available: {error}")


@pytest.fixture(autouse=True)
def settled() -> Iterator[None]:
    """Let timed-out model calls stop before the interpreter moves on (llama.cpp safety)."""
    yield
    from agents.research.deadline import settle_background_work

    settle_background_work(600)


def test_a_two_company_question_completes_with_a_cited_report() -> None:
    local_model_or_skip()
    from graphs.research import compile_graph

    state = compile_graph().invoke(
        {"question": QUESTION, "deadline_s": 2400}, context=Context(model="local")
    )
    companies = {t.get("company") for t in state["plan"]["tasks"]}
    assert {"Northwind Mobile", "Contoso Telecom"} <= companies
    finished = [f for f in state["findings"] if f["status"] == "ok"]
    assert {f["company"] for f in finished} >= {"Northwind Mobile", "Contoso Telecom"}
    report = state["report"]
    assert report.startswith("# Research report")
    cited = set(re.findall(r"\[([a-z0-9-]+)\]", report))
    assert cited & set(load_corpus().documents)
    assert "## Sources" in report
