"""The research corpus: enough documents about enough companies, and a search that filters."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.research_corpus import (
    CorpusError,
    load_corpus,
    parse_document,
    research_tools,
    search_research_corpus,
)


def test_corpus_has_30_documents_about_4_companies_and_every_topic() -> None:
    corpus = load_corpus()
    assert len(corpus.documents) >= 30
    assert len(corpus.companies) >= 4
    topics = {doc.topic for doc in corpus.documents.values()}
    assert {"market positioning", "ai strategy", "pricing", "network", "customers"} <= topics
    for company in corpus.companies:
        assert sum(1 for d in corpus.documents.values() if d.company == company) >= 5


def test_search_ranks_the_relevant_document_first_and_respects_the_company_filter() -> None:
    corpus = load_corpus()
    hits = corpus.search("AI strategy customer care assistant", "Northwind Mobile", k=4)
    assert hits[0].doc_id == "northwind-ai-strategy"
    assert {h.company for h in hits} <= {"Northwind Mobile", "market"}
    everywhere = corpus.search("spectrum auction 3.5 GHz", k=3)
    assert everywhere[0].doc_id == "market-spectrum-auction-2024"


def test_companies_are_found_in_a_question_in_order() -> None:
    found = load_corpus().find_company("How does Tailspin compare with Fabrikam Wireless?")
    assert found == ["Tailspin Networks", "Fabrikam Wireless"]


def test_the_tool_cites_document_ids() -> None:
    message = search_research_corpus.invoke(
        {
            "type": "tool_call",
            "id": "c1",
            "name": "search_research_corpus",
            "args": {"query": "unlimited plan price", "company": "Contoso Telecom"},
        }
    )
    assert "[contoso-pricing]" in message.content
    assert message.artifact[0]["doc_id"].startswith(("contoso-", "market-"))


def test_web_search_is_only_offered_with_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TAVILY_API_KEY", raising=False)
    assert [t.name for t in research_tools()] == ["search_research_corpus"]


def test_a_document_without_front_matter_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "bad.md"
    bad.write_text("just text")
    with pytest.raises(CorpusError, match=r"bad\.md"):
        parse_document(bad)
