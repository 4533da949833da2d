"""Knowledge base: article parsing, incremental Chroma rebuild, search quality, no network."""

from __future__ import annotations

import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from conversation.paths import repo_root
from tools import kb
from tools.kb_embedding import WordLlamaEmbeddingFunction


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Fail any outbound connection other than loopback; yields the attempts made."""
    attempts: list[Any] = []
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else str(address)
        if isinstance(address, tuple) and host not in ("127.0.0.1", "::1", "localhost"):
            attempts.append(address)
            raise OSError(f"network access blocked in unit tests: {address}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    yield attempts


@pytest.fixture(scope="module")
def full_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index of every shipped article, built once for this module."""
    index = tmp_path_factory.mktemp("kb-index")
    kb.rebuild(kb.kb_dir(), index, progress=False)
    return index


def test_at_least_25_articles_with_titles_and_sections() -> None:
    files = sorted(kb.kb_dir().glob("*.md"))
    assert len(files) >= 25
    for path in files:
        sections = kb.parse_article(path)
        assert sections, path
        assert all(s.source == path.stem for s in sections)
        assert sections[0].title != path.stem, f"{path} needs a '# Title' line"
        assert all(s.heading and s.text for s in sections)


def test_parse_article_splits_by_section(tmp_path: Path) -> None:
    article = tmp_path / "sample.md"
    article.write_text("# Sample\n\nIntro line.\n\n## First\nOne.\nTwo.\n\n## Second\nThree.\n")
    sections = kb.parse_article(article)
    assert [(s.heading, s.text) for s in sections] == [
        ("Overview", "Intro line."),
        ("First", "One. Two."),
        ("Second", "Three."),
    ]
    assert {s.title for s in sections} == {"Sample"}


def test_empty_article_is_rejected(tmp_path: Path) -> None:
    article = tmp_path / "empty.md"
    article.write_text("# Only a title\n")
    with pytest.raises(ValueError, match="no text found"):
        kb.parse_article(article)


def test_rebuild_is_incremental(tmp_path: Path, no_network: list[Any]) -> None:
    articles, index = tmp_path / "articles", tmp_path / "index"
    articles.mkdir()
    for name in ("roaming", "late-fees", "esim"):
        shutil.copy(kb.kb_dir() / f"{name}.md", articles / f"{name}.md")

    first = kb.rebuild(articles, index, progress=False)
    assert sorted(first.embedded) == ["esim", "late-fees", "roaming"]

    again = kb.rebuild(articles, index, progress=False)
    assert again.embedded == () and again.removed == () and again.unchanged == 3

    late = articles / "late-fees.md"
    late.write_text(late.read_text() + "\n## Weekends\nFees are never added on a Sunday.\n")
    touched = kb.rebuild(articles, index, progress=False)
    assert touched.embedded == ("late-fees",) and touched.unchanged == 2

    (articles / "esim.md").unlink()
    pruned = kb.rebuild(articles, index, progress=False)
    assert pruned.removed == ("esim",) and pruned.embedded == ()
    sources = {m["source"] for m in kb.collection(index).get()["metadatas"] or []}
    assert sources == {"roaming", "late-fees"}
    assert no_network == []


def test_changed_section_is_searchable_after_rebuild(tmp_path: Path) -> None:
    articles, index = tmp_path / "articles", tmp_path / "index"
    articles.mkdir()
    shutil.copy(kb.kb_dir() / "voicemail.md", articles / "voicemail.md")
    (articles / "pets.md").write_text("# Pets in stores\n\n## Dogs\nDogs are welcome in shops.\n")
    kb.rebuild(articles, index, progress=False)
    passages = kb.search("can i bring my dog into the shop", k=1, index=index, articles=articles)
    assert passages[0].source == "pets"


@pytest.mark.parametrize(
    ("question", "source"),
    [
        ("how much does a data refuel cost", "data-refuel"),
        ("my phone shows no service", "no-service"),
        ("how do i activate an esim with a qr code", "esim"),
        ("how much is the late fee", "late-fees"),
        ("can my suspended line be resumed", "line-resumption"),
    ],
)
def test_search_finds_the_right_article(
    full_index: Path, no_network: list[Any], question: str, source: str
) -> None:
    passages = kb.search(question, k=3, index=full_index)
    assert source in [p.source for p in passages]
    assert all(p.text and p.title for p in passages)
    assert no_network == []


def test_search_results_are_ranked_and_diverse(full_index: Path) -> None:
    passages = kb.search("what apn settings do i need", k=3, index=full_index)
    assert passages[0].source == "apn-settings"
    scores = [p.score for p in passages]
    assert scores == sorted(scores, reverse=True)
    assert max([p.source for p in passages].count(s) for s in {p.source for p in passages}) <= 2


def test_search_kb_tool_cites_sources(monkeypatch: pytest.MonkeyPatch, full_index: Path) -> None:
    monkeypatch.setattr(kb, "index_dir", lambda: full_index)
    output = kb.search_kb.invoke({"query": "does my plan include roaming in the EU"})
    assert "[kb:" in output
    assert "[kb:roaming]" in output or "[kb:plan-plus-40]" in output


def test_embedding_function_is_offline_and_normalised() -> None:
    function = WordLlamaEmbeddingFunction()
    vectors = function(["roaming in spain", "late fee"])
    assert len(vectors) == 2
    assert all(abs(float((v**2).sum()) - 1.0) < 1e-3 for v in vectors)
    assert WordLlamaEmbeddingFunction.name() == "switchboard-wordllama"


def test_eval_questions_point_at_existing_articles() -> None:
    data = yaml.safe_load((repo_root() / "data" / "kb_eval" / "questions.yaml").read_text())
    questions = data["questions"]
    assert len(questions) >= 40
    stems = {p.stem for p in kb.kb_dir().glob("*.md")}
    for item in questions:
        assert item["question"].strip()
        assert set(item["sources"]) <= stems, item
