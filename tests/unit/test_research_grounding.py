"""Research grounding: figures are checked against the cited documents before the report is
returned; a wrong figure is corrected from the documents or removed and listed as unverified."""

from __future__ import annotations

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage

from agents.context import Context
from agents.research.grounding import ground_report, quantities
from agents.research.markdown import split_sentences, without_repeats, without_unfinished_end
from graphs.research import compile_graph
from testing import research_policies as scripted
from testing.scripted import ScriptedChatModel
from tools.research_corpus import load_corpus

QUESTION = "Compare the market positioning of Contoso and Fabrikam, focusing on AI strategy"
COMPANIES = ["Contoso Telecom", "Fabrikam Wireless"]
PLANTED = """## Summary
Both companies have a mobile ARPU of 31.50 a month [contoso-overview].
Contoso Telecom has 21.4 million mobile subscribers [contoso-overview].

## Findings
### Fabrikam Wireless
- Fabrikam's mobile ARPU is 31.50 a month [fabrikam-overview].
- It has 11.8 million subscribers, a 20% share.

## Comparison
Contoso leads on ARPU with 31.50 a month, while Fabrikam Wireless has 27.80 [contoso-overview]
[fabrikam-overview].
"""


def planted_synthesizer(messages: list[BaseMessage], tools: list) -> AIMessage:
    """A synthesizer that gives Fabrikam Contoso's ARPU (the fault seen with the local model)."""
    return AIMessage(content=PLANTED)


def models(role: str, spec: str, timeout_s: float | None) -> BaseChatModel:
    responder = planted_synthesizer if role == "synthesizer" else scripted.RESPONDERS[role]
    return ScriptedChatModel(responder=responder)


def test_a_planted_wrong_arpu_is_caught_and_never_printed_as_fact() -> None:
    graph = compile_graph(models=models)
    state = graph.invoke(
        {"question": QUESTION, "deadline_s": 60}, context=Context(model="scripted")
    )
    report = state["report"]
    body, _, unverified = report.partition("## Unverified claims")
    assert "Both companies have a mobile ARPU of 31.50" not in body
    assert "Fabrikam's mobile ARPU is 27.80 a month [fabrikam-overview]" in body
    assert "Fabrikam's mobile ARPU is 31.50" not in report
    assert "31.50 a month, while Fabrikam Wireless has 27.80" in body
    assert "11.8 million subscribers, a 20% share [fabrikam-overview]" in body
    assert "Both companies have a mobile ARPU of (unsupported) a month." in unverified
    events = state["ledger"][-1]["events"]
    assert any(e.startswith("grounding:") and "1 corrected" in e for e in events), events


def test_figures_are_attributed_to_the_company_named_next_to_them() -> None:
    corpus = load_corpus()
    both = " [contoso-overview] [fabrikam-overview]."
    swapped = "Contoso's ARPU is 27.80 a month while Fabrikam's is 31.50" + both
    grounded = ground_report(swapped, corpus, COMPANIES, [])
    assert grounded.unverified and grounded.body == ""
    right = "Contoso's ARPU is 31.50 a month while Fabrikam's is 27.80" + both
    assert ground_report(right, corpus, COMPANIES, []).body == right
    uncited = "Fabrikam Wireless earned 6.1 billion in 2024."
    fixed = ground_report(uncited, corpus, COMPANIES, ["fabrikam-overview"])
    assert fixed.body == "Fabrikam Wireless earned 6.1 billion in 2024 [fabrikam-overview]."
    counts = fixed.counts()
    assert counts["factual"] == counts["cited"] == 1


def test_a_subheading_stays_in_its_company_section() -> None:
    corpus = load_corpus()
    body = (
        "### Fabrikam Wireless\n#### Market positioning\n"
        "- **Mobile ARPU**: The highest in the market at 31.50 a month [contoso-overview].\n"
        "### Contoso Telecom\n#### Pricing\n"
        "- **Mobile ARPU**: 31.50 a month [contoso-overview].\n"
    )
    grounded = ground_report(body, corpus, COMPANIES, [])
    fabrikam, contoso = grounded.body.split("### Contoso Telecom")
    assert "31.50" not in fabrikam  # Contoso's ARPU, cited to Contoso's note, is not Fabrikam's
    assert [v.status for v in grounded.verdicts if "31.50" in v.sentence][:1] == ["removed"]
    assert "31.50 a month [contoso-overview]" in contoso


def test_invented_names_are_removed_and_judgements_are_left_alone() -> None:
    corpus = load_corpus()
    text = (
        "Contoso hired Gideon Marchbank as its AI chief [contoso-ai-strategy]. "
        "Both companies bet on AI, in different ways."
    )
    grounded = ground_report(text, corpus, COMPANIES, [])
    assert grounded.body == "Both companies bet on AI, in different ways."
    assert [v.status for v in grounded.verdicts] == ["removed", "plain"]


def test_sentences_and_figures_are_read_as_written() -> None:
    assert split_sentences("ARPU is 31.50 a month. [contoso-overview] Next one.") == [
        "ARPU is 31.50 a month. [contoso-overview]",
        "Next one.",
    ]
    found = [(q.kind, q.value) for q in quantities("37% of 21.4 million, 5G since 2023, 3 plans")]
    assert found == [("pct", 37.0), ("num", 21.4e6), ("num", 2023.0)]


def test_a_bullet_repeated_in_its_section_is_kept_once() -> None:
    lines = [
        "### Contoso",
        "#### A",
        "- x [s].",
        "#### B",
        "- x [s].",
        "- y.",
        "### Fabrikam",
        "- x [s].",
    ]
    assert without_repeats(lines) == [
        "### Contoso",
        "#### A",
        "- x [s].",
        "#### B",
        "- y.",
        "### Fabrikam",
        "- x [s].",
    ]


def test_a_figure_belongs_to_the_company_before_it_unless_one_follows_close() -> None:
    corpus = load_corpus()
    wrong = (
        "Tailspin Networks skews older, with 44% of its customers over 45, more than "
        "Contoso Telecom [contoso-customers]."
    )
    grounded = ground_report(wrong, corpus, ["Tailspin Networks", "Contoso Telecom"], [])
    assert grounded.body == "" and grounded.verdicts[0].status == "removed"
    section = (
        "### Tailspin Networks\n"
        "- **Age:** 44% of its base is over 45, like 44% of Contoso's [contoso-customers]."
    )
    grounded = ground_report(section, corpus, ["Tailspin Networks", "Contoso Telecom"], [])
    assert grounded.verdicts[0].status == "removed"
    named = (
        "### Contoso Telecom\n"
        "- **Age:** 44% of its base is over 45, and so is 44% of Tailspin's [contoso-customers]."
    )
    grounded = ground_report(named, corpus, ["Tailspin Networks", "Contoso Telecom"], [])
    assert grounded.verdicts[0].status == "removed"
    close = "The subscriber share is 20% for Fabrikam Wireless [market-overview-2025]."
    assert ground_report(close, corpus, COMPANIES, []).body == close


def test_a_quotation_must_be_the_words_of_the_company_it_is_given_to() -> None:
    corpus = load_corpus()
    quote = '"network first, customer second, carefully"'
    misquoted = f"Fabrikam Wireless sums up its AI approach as {quote} [contoso-ai-strategy]."
    grounded = ground_report(misquoted, corpus, COMPANIES, [])
    assert grounded.body == "" and grounded.verdicts[0].reasons == ["quotations no document states"]
    quoted = f"Contoso Telecom sums up its AI approach as {quote} [contoso-ai-strategy]."
    assert ground_report(quoted, corpus, COMPANIES, []).body == quoted


def test_a_bold_label_is_no_name_and_a_finding_under_two_labels_is_kept_once() -> None:
    corpus = load_corpus()
    body = (
        "### Northwind Mobile\n"
        "- **Key Partners:** Its 5G core runs on Stratus Cloud [northwind-partnerships].\n"
        "- **Cloud Deals:** Its 5G core runs on Stratus Cloud [northwind-partnerships].\n"
        "### Fabrikam Wireless\n"
        "- **Hired Staff:** Fabrikam hired Odile Quenneville for AI [fabrikam-ai-strategy].\n"
    )
    grounded = ground_report(body, corpus, ["Northwind Mobile", "Fabrikam Wireless"], [])
    assert grounded.body == (
        "### Northwind Mobile\n"
        "- **Key Partners:** Its 5G core runs on Stratus Cloud [northwind-partnerships]."
    )
    assert [v.failed for v in grounded.unverified] == [["Odile Quenneville"]]


def test_an_unfinished_last_sentence_is_left_out() -> None:
    body = "## Comparison\nContoso leads on ARPU [contoso-overview]. Northwind accepts a lower"
    assert without_unfinished_end(body) == (
        "## Comparison\nContoso leads on ARPU [contoso-overview].",
        "Northwind accepts a lower",
    )
    assert without_unfinished_end("## Differences\n- Tail") == ("## Differences", "- Tail")
    whole = "## Findings\n- **ARPU**: 31.50 a month (highest) [contoso-overview]"
    assert without_unfinished_end(whole) == (whole, "")
    figure = "### Fabrikam\n- Share: 20% [market-overview-2025].\n- **Share**: a market share of 3"
    assert without_unfinished_end(figure)[1] == "- **Share**: a market share of 3"
    assert without_unfinished_end(whole) == (whole, "")


def cut_synthesizer(messages: list[BaseMessage], tools: list) -> AIMessage:
    """A synthesizer stopped at its length limit in the middle of its last sentence."""
    text = PLANTED.rstrip() + "\n- Northwind Mobile, by contrast, relies on"
    return AIMessage(content=text, response_metadata={"finish_reason": "length"})


def test_a_report_cut_at_the_length_limit_leaves_out_its_unfinished_end() -> None:
    def cut_models(role: str, spec: str, timeout_s: float | None) -> BaseChatModel:
        responder = cut_synthesizer if role == "synthesizer" else scripted.RESPONDERS[role]
        return ScriptedChatModel(responder=responder)

    state = compile_graph(models=cut_models).invoke(
        {"question": QUESTION, "deadline_s": 60}, context=Context(model="scripted")
    )
    assert "relies on" not in state["report"]
    assert "stopped at its length limit, unfinished end left out" in state["report"]
    events = state["ledger"][-1]["events"]
    assert any(e.startswith("unfinished end left out:") for e in events), events
